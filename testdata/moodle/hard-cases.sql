-- Rows added to moodle-mariadb.sql / moodle-postgres.sql (beside in ../schemas)
-- for the resolver's hard cases; the same text loads on MariaDB and PostgreSQL.
-- Invented by this project. Statements end with ';' at end of line.

-- 1. An imported copy whose original leaves nobody: activity 10 (course 2) was
--    deleted and its creator (user 7) too; the recording was imported into activity 3.
INSERT INTO mdl_bigbluebuttonbn_logs (id, courseid, bigbluebuttonbnid, userid, timecreated, meetingid, log) VALUES
 (100, 2, 10, 7, 1600000000, '0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a', 'Add');
INSERT INTO mdl_bigbluebuttonbn_recordings (id, courseid, bigbluebuttonbnid, groupid, recordingid, headless, imported, status) VALUES
 (100, 2, 10, 0, '1000000000000000000000000000000000000001-1720000000000', 1, 0, 2),
 (101, 3, 3, 0, '1000000000000000000000000000000000000001-1720000000000', 0, 1, 2);

-- 2. An activity restored from the recycle bin: activity 11 (created by pmartin)
--    was deleted and restored as activity 12 (no Add log, role rules editingteacher
--    + teacher); its recordings rows were restored with it, the old row is headless.
INSERT INTO mdl_bigbluebuttonbn (id, type, course, name, introformat, meetingid, record, timecreated, timemodified, participants) VALUES
 (12, 0, 2, 'TP physique (restauré)', 1, '1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b', 1, 1700000000, 1720000000,
  '[{"selectiontype":"all","selectionid":"all","role":"viewer"},{"selectiontype":"role","selectionid":"3","role":"moderator"},{"selectiontype":"role","selectionid":"4","role":"moderator"}]');
INSERT INTO mdl_course_modules (id, course, module, instance, section) VALUES (17, 2, 2, 12, 12);
INSERT INTO mdl_context (id, contextlevel, instanceid, path, depth) VALUES (23, 70, 17, '/1/3/20/23', 4);
INSERT INTO mdl_bigbluebuttonbn_logs (id, courseid, bigbluebuttonbnid, userid, timecreated, meetingid, log) VALUES
 (110, 2, 11, 4, 1700000000, '1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b', 'Add');
INSERT INTO mdl_bigbluebuttonbn_recordings (id, courseid, bigbluebuttonbnid, groupid, recordingid, headless, imported, status) VALUES
 (110, 2, 11, 0, '2000000000000000000000000000000000000002-1720000000000', 1, 0, 2),
 (111, 2, 12, 0, '2000000000000000000000000000000000000002-1720000000000', 0, 0, 2);

-- 3. Site admins (user 2 is manager at system level): activity 3 now names the
--    manager and editingteacher roles; activity 13 (course 3) was created by the
--    admin and names only the manager role.
UPDATE mdl_bigbluebuttonbn SET participants = '[{"selectiontype":"role","selectionid":"1","role":"moderator"},{"selectiontype":"role","selectionid":"3","role":"moderator"}]' WHERE id = 3;
INSERT INTO mdl_bigbluebuttonbn (id, type, course, name, introformat, meetingid, record, timecreated, timemodified, participants) VALUES
 (13, 0, 3, 'Réunion d''équipe', 1, '3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c', 1, 1700000000, 1700000000,
  '[{"selectiontype":"role","selectionid":"1","role":"moderator"}]');
INSERT INTO mdl_course_modules (id, course, module, instance, section) VALUES (26, 3, 2, 13, 21);
INSERT INTO mdl_context (id, contextlevel, instanceid, path, depth) VALUES (32, 70, 26, '/1/3/30/32', 4);
INSERT INTO mdl_bigbluebuttonbn_logs (id, courseid, bigbluebuttonbnid, userid, timecreated, meetingid, log) VALUES
 (130, 3, 13, 2, 1700000000, '3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c', 'Add');

-- 4. A course restored from another site: activity 14 (course 3) carries the
--    seed of the old site's activity 99 in course 9 (user rule aleroy); and a
--    seed carried by two live activities (15 in course 2, 16 in course 3).
INSERT INTO mdl_bigbluebuttonbn (id, type, course, name, introformat, meetingid, record, timecreated, timemodified, participants) VALUES
 (14, 0, 3, 'Séminaire (restauré)', 1, '4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d', 1, 1710000000, 1710000000,
  '[{"selectiontype":"user","selectionid":"6","role":"moderator"}]'),
 (15, 0, 2, 'Copie A', 1, '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e', 1, 1710000000, 1710000000,
  '[{"selectiontype":"user","selectionid":"3","role":"moderator"}]'),
 (16, 0, 3, 'Copie B', 1, '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e', 1, 1710000000, 1710000000,
  '[{"selectiontype":"user","selectionid":"6","role":"moderator"}]');
INSERT INTO mdl_course_modules (id, course, module, instance, section) VALUES (27, 3, 2, 14, 21), (28, 2, 2, 15, 11), (29, 3, 2, 16, 21);
INSERT INTO mdl_context (id, contextlevel, instanceid, path, depth) VALUES
 (33, 70, 27, '/1/3/30/33', 4), (24, 70, 28, '/1/3/20/24', 4), (34, 70, 29, '/1/3/30/34', 4);
INSERT INTO mdl_bigbluebuttonbn_logs (id, courseid, bigbluebuttonbnid, userid, timecreated, meetingid, log) VALUES
 (140, 3, 14, 6, 1710000000, '4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d', 'Add'),
 (150, 2, 15, 3, 1710000000, '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e', 'Add'),
 (160, 3, 16, 6, 1710000000, '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e', 'Add');
