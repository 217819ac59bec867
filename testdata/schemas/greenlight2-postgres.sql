-- Greenlight v2 test schema for a BBB identity resolver (PostgreSQL).
--
-- Hand-written for tests by the research helper; NOT a dump of a real server.
-- Tables, columns, defaults and index names follow db/schema.rb of the
-- bigbluebutton/greenlight "v2" branch (schema version 2022_02_09_094148,
-- Rails 5.2), rendered the way Rails' PostgreSQL adapter creates them:
--   t.string -> character varying (no length), t.integer -> integer,
--   t.datetime -> timestamp without time zone, t.boolean -> boolean.
-- Primary keys: a fresh install runs `rake db:schema:load` (bin/start) and gets
-- bigserial ids; an install that was created by the old migrations
-- (ActiveRecord::Migration[5.0]) has serial (integer) ids. Both behave alike.
-- schema.rb (dumped from SQLite) lists no foreign keys; an install migrated on
-- PostgreSQL has FKs shared_accesses.room_id -> rooms and shared_accesses.user_id
-- -> users (migration 20191128212935). None are declared here.
--
-- Identity facts used by the resolver:
--   BBB meetingID          = rooms.bbb_id (40 chars: sha1 hex before release 2.5.5,
--                            SecureRandom.hex(20) in 2.5.5, 40 lowercase alnum
--                            since 2.6; existing rooms keep their old value)
--   room owner             = rooms.user_id -> users.id
--   co-owners (moderators) = shared_accesses(room_id, user_id)
--   BBB join userID        = users.uid ("gl-" + 12 lowercase letters)
--   metadata sent          = gl-listed, bbb-origin=Greenlight, bbb-origin-version,
--                            bbb-origin-server-name (since 2.3.0, July 2019)
-- Room 8 / user 6 match the real fixture testdata/presentation/bbb22-featuredemo/metadata.xml
-- (meetingId 0v1xkcrre2la0vafauyepzfei16x2fkuhcfydvps, server meet.impavit.com).

SET client_encoding = 'UTF8';
SET TIME ZONE 'UTC';

DROP TABLE IF EXISTS active_storage_attachments, active_storage_blobs, features,
  invitations, role_permissions, roles, rooms, settings, shared_accesses, users,
  users_roles, schema_migrations, ar_internal_metadata CASCADE;

CREATE TABLE schema_migrations (
    version character varying NOT NULL PRIMARY KEY
);

CREATE TABLE ar_internal_metadata (
    key character varying NOT NULL PRIMARY KEY,
    value character varying,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL
);

CREATE TABLE active_storage_attachments (
    id bigserial PRIMARY KEY,
    name character varying NOT NULL,
    record_type character varying NOT NULL,
    record_id integer NOT NULL,
    blob_id integer NOT NULL,
    created_at timestamp without time zone NOT NULL
);
CREATE INDEX index_active_storage_attachments_on_blob_id ON active_storage_attachments (blob_id);
CREATE UNIQUE INDEX index_active_storage_attachments_uniqueness ON active_storage_attachments (record_type, record_id, name, blob_id);

CREATE TABLE active_storage_blobs (
    id bigserial PRIMARY KEY,
    key character varying NOT NULL,
    filename character varying NOT NULL,
    content_type character varying,
    metadata text,
    byte_size bigint NOT NULL,
    checksum character varying NOT NULL,
    created_at timestamp without time zone NOT NULL
);
CREATE UNIQUE INDEX index_active_storage_blobs_on_key ON active_storage_blobs (key);

CREATE TABLE features (
    id bigserial PRIMARY KEY,
    setting_id integer,
    name character varying NOT NULL,
    value character varying,
    enabled boolean DEFAULT false,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL
);
CREATE INDEX index_features_on_name ON features (name);
CREATE INDEX index_features_on_setting_id ON features (setting_id);

CREATE TABLE invitations (
    id bigserial PRIMARY KEY,
    email character varying NOT NULL,
    provider character varying NOT NULL,
    invite_token character varying,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL
);
CREATE INDEX index_invitations_on_invite_token ON invitations (invite_token);
CREATE INDEX index_invitations_on_provider ON invitations (provider);

CREATE TABLE role_permissions (
    id bigserial PRIMARY KEY,
    name character varying,
    value character varying DEFAULT '',
    enabled boolean DEFAULT false,
    role_id integer,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL
);
CREATE INDEX index_role_permissions_on_role_id ON role_permissions (role_id);

-- Roles are per provider ("greenlight", or the tenant name when
-- loadbalanced/multitenant). Default roles: user(1) admin(0) pending(-1)
-- denied(-2) super_admin(-3).
CREATE TABLE roles (
    id bigserial PRIMARY KEY,
    name character varying,
    priority integer DEFAULT 9999,
    can_create_rooms boolean DEFAULT false,
    send_promoted_email boolean DEFAULT false,
    send_demoted_email boolean DEFAULT false,
    can_edit_site_settings boolean DEFAULT false,
    can_edit_roles boolean DEFAULT false,
    can_manage_users boolean DEFAULT false,
    colour character varying,
    provider character varying,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL
);
CREATE UNIQUE INDEX index_roles_on_name_and_provider ON roles (name, provider);
CREATE INDEX index_roles_on_name ON roles (name);
CREATE UNIQUE INDEX index_roles_on_priority_and_provider ON roles (priority, provider);

-- room_settings is a JSON *string*: {"muteOnStart":..,"requireModeratorApproval":..,
-- "anyoneCanStart":..,"joinModerator":..,"recording":..} ("{ }" for home rooms).
CREATE TABLE rooms (
    id bigserial PRIMARY KEY,
    user_id integer,
    name character varying,
    uid character varying,
    bbb_id character varying,
    sessions integer DEFAULT 0,
    last_session timestamp without time zone,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL,
    room_settings character varying DEFAULT '{ }',
    moderator_pw character varying,
    attendee_pw character varying,
    access_code character varying,
    deleted boolean DEFAULT false NOT NULL,
    moderator_access_code character varying
);
CREATE INDEX index_rooms_on_bbb_id ON rooms (bbb_id);
CREATE INDEX index_rooms_on_deleted ON rooms (deleted);
CREATE INDEX index_rooms_on_last_session ON rooms (last_session);
CREATE INDEX index_rooms_on_name ON rooms (name);
CREATE INDEX index_rooms_on_sessions ON rooms (sessions);
CREATE INDEX index_rooms_on_uid ON rooms (uid);
CREATE INDEX index_rooms_on_user_id ON rooms (user_id);

CREATE TABLE settings (
    id bigserial PRIMARY KEY,
    provider character varying NOT NULL,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL
);
CREATE INDEX index_settings_on_provider ON settings (provider);

CREATE TABLE shared_accesses (
    id bigserial PRIMARY KEY,
    room_id integer,
    user_id integer,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL
);
CREATE INDEX index_shared_accesses_on_room_id ON shared_accesses (room_id);
CREATE INDEX index_shared_accesses_on_user_id ON shared_accesses (user_id);

-- users.provider: "greenlight" (local account), "google", "office365", "twitter",
-- "ldap", "saml", "openid_connect", ... or the tenant name (multitenant).
-- users.uid: BBB userID ("gl-..."); users.social_uid: external IdP uid.
-- users.room_id: the user's home room.
CREATE TABLE users (
    id bigserial PRIMARY KEY,
    room_id integer,
    provider character varying,
    uid character varying,
    name character varying,
    username character varying,
    email character varying,
    social_uid character varying,
    image character varying,
    password_digest character varying,
    accepted_terms boolean DEFAULT false,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL,
    email_verified boolean DEFAULT false,
    language character varying DEFAULT 'default',
    reset_digest character varying,
    reset_sent_at timestamp without time zone,
    activation_digest character varying,
    activated_at timestamp without time zone,
    deleted boolean DEFAULT false NOT NULL,
    role_id integer,
    last_login timestamp without time zone,
    failed_attempts integer,
    last_failed_attempt timestamp without time zone,
    last_pwd_update timestamp without time zone
);
CREATE INDEX index_users_on_created_at ON users (created_at);
CREATE INDEX index_users_on_deleted ON users (deleted);
CREATE INDEX index_users_on_email ON users (email);
CREATE UNIQUE INDEX index_users_on_password_digest ON users (password_digest);
CREATE INDEX index_users_on_provider ON users (provider);
CREATE INDEX index_users_on_role_id ON users (role_id);
CREATE INDEX index_users_on_room_id ON users (room_id);

-- Legacy rolify join table (superseded by users.role_id in 2020, still present).
CREATE TABLE users_roles (
    user_id integer,
    role_id integer
);
CREATE INDEX index_users_roles_on_role_id ON users_roles (role_id);
CREATE INDEX index_users_roles_on_user_id_and_role_id ON users_roles (user_id, role_id);
CREATE INDEX index_users_roles_on_user_id ON users_roles (user_id);

-- ===========================================================================
-- Sample data
-- ===========================================================================
INSERT INTO schema_migrations (version) VALUES ('20220209094148');
INSERT INTO ar_internal_metadata (key, value, created_at, updated_at)
VALUES ('environment', 'production', '2019-09-01 10:00:00', '2019-09-01 10:00:00');

INSERT INTO roles (id, name, priority, can_create_rooms, send_promoted_email, send_demoted_email, can_edit_site_settings, can_edit_roles, can_manage_users, colour, provider, created_at, updated_at) VALUES
 (1, 'user', 1, false, false, false, false, false, false, '#868e96', 'greenlight', '2019-09-01 10:00:00', '2019-09-01 10:00:00'),
 (2, 'admin', 0, false, false, false, false, false, false, '#f1c40f', 'greenlight', '2019-09-01 10:00:00', '2019-09-01 10:00:00'),
 (3, 'pending', -1, false, false, false, false, false, false, '#17a2b8', 'greenlight', '2019-09-01 10:00:00', '2019-09-01 10:00:00'),
 (4, 'denied', -2, false, false, false, false, false, false, '#343a40', 'greenlight', '2019-09-01 10:00:00', '2019-09-01 10:00:00'),
 (5, 'super_admin', -3, false, false, false, false, false, false, '#cd201f', 'greenlight', '2019-09-01 10:00:00', '2019-09-01 10:00:00');
SELECT setval('roles_id_seq', 5);

INSERT INTO role_permissions (id, name, value, enabled, role_id, created_at, updated_at) VALUES
 (1, 'can_create_rooms', 'true', false, 1, '2019-09-01 10:00:00', '2019-09-01 10:00:00'),
 (2, 'can_launch_recording', 'true', false, 1, '2019-09-01 10:00:00', '2019-09-01 10:00:00'),
 (3, 'can_create_rooms', 'true', false, 2, '2019-09-01 10:00:00', '2019-09-01 10:00:00'),
 (4, 'can_manage_rooms_recordings', 'true', false, 2, '2019-09-01 10:00:00', '2019-09-01 10:00:00'),
 (5, 'can_manage_users', 'true', false, 2, '2019-09-01 10:00:00', '2019-09-01 10:00:00');
SELECT setval('role_permissions_id_seq', 5);

INSERT INTO settings (id, provider, created_at, updated_at) VALUES (1, 'greenlight', '2019-09-01 10:00:00', '2019-09-01 10:00:00');
INSERT INTO features (id, setting_id, name, value, enabled, created_at, updated_at) VALUES
 (1, 1, 'Shared Access', 'true', true, '2019-09-01 10:00:00', '2019-09-01 10:00:00');

INSERT INTO users (id, room_id, provider, uid, name, username, email, social_uid, image, password_digest, accepted_terms, created_at, updated_at, email_verified, language, activated_at, deleted, role_id, last_login) VALUES
 (1, 1, 'greenlight', 'gl-qhwzkfmtrvbx', 'Administrator', NULL, 'gl-admin@univ.example.fr', NULL, NULL, '$2a$12$Q1w2E3r4T5y6U7i8O9p0AaBbCcDdEeFfGgHhIiJjKkLlMmNnOoPpQ', true, '2019-09-01 10:05:00', '2022-03-01 08:00:00', true, 'default', '2019-09-01 10:05:00', false, 2, '2022-03-01 08:00:00'),
 (2, 2, 'greenlight', 'gl-kqzfhtwmbxpa', 'Jeanne Dupont', NULL, 'jeanne.dupont@univ.example.fr', NULL, NULL, '$2a$12$Z9x8C7v6B5n4M3l2K1j0HhGgFfEeDdCcBbAaQqWwEeRrTtYyUuIiO', true, '2020-03-16 09:12:00', '2022-02-10 14:00:00', true, 'fr', '2020-03-16 09:15:00', false, 1, '2022-02-10 14:00:00'),
 (3, 4, 'ldap', 'gl-pwmxrtkqazlc', 'Paul Martin', 'pmartin', 'paul.martin@univ.example.fr', 'uid=pmartin,ou=people,dc=univ,dc=example,dc=fr', NULL, NULL, true, '2020-03-17 08:00:00', '2022-01-20 10:00:00', true, 'default', '2020-03-17 08:00:00', false, 1, '2022-01-20 10:00:00'),
 (4, 5, 'google', 'gl-sgbnvxlqrtey', 'Sofia Garcia', NULL, 'sofia.garcia@gmail.example.com', '108234567890123456789', 'https://lh3.googleusercontent.com/a/example', NULL, true, '2020-04-02 16:30:00', '2021-11-05 09:00:00', true, 'es', '2020-04-02 16:30:00', false, 1, '2021-11-05 09:00:00'),
 (5, 6, 'greenlight', 'gl-dltmorewqpxa', 'Marc Moreau', NULL, 'marc.moreau@univ.example.fr', NULL, NULL, '$2a$12$M0r3au5T4nD4rDpAsSwOrDhAsHvAlUeXyZaBcDeFgHiJkLmNoPqRs', true, '2020-05-11 11:00:00', '2021-06-30 12:00:00', true, 'default', '2020-05-11 11:00:00', true, 1, '2021-01-15 12:00:00'),
 (6, 7, 'greenlight', 'gl-fdemoownerxk', 'Demo Owner', NULL, 'owner@meet.example.org', NULL, NULL, '$2a$12$D3m0OwN3rHaShD3m0OwN3rHaShD3m0OwN3rHaShD3m0OwN3rHaShX', true, '2020-08-01 07:00:00', '2020-08-25 14:00:00', true, 'default', '2020-08-01 07:00:00', false, 1, '2020-08-25 14:00:00');
SELECT setval('users_id_seq', 6);

INSERT INTO users_roles (user_id, role_id) VALUES (1, 2), (2, 1), (3, 1), (4, 1), (5, 1), (6, 1);

-- Rooms. Room 1 has an old-style (sha1 hex) bbb_id; rooms 2-8 the 40-char
-- alphanumeric form. Room 7 is soft-deleted (deleted = true).
INSERT INTO rooms (id, user_id, name, uid, bbb_id, sessions, last_session, created_at, updated_at, room_settings, moderator_pw, attendee_pw, access_code, deleted, moderator_access_code) VALUES
 (1, 1, 'Home Room', 'adm-3kx-7pq', 'd5f0c3a3e3b9f4f1ad2b0f3c8f2f0b9a6c1e7d44', 12, '2022-02-28 09:00:00', '2019-09-01 10:05:00', '2022-02-28 09:00:00', '{ }', 'Vq8Jt2Lm9Xr4', 'Hn5Kw7Pc3Dz6', NULL, false, NULL),
 (2, 2, 'Home Room', 'jea-k2m-x7p-4qz', 'hbrpoig8f1cbfno6b9m80o2rak1vrjnvgfygwwqc', 41, '2022-02-10 13:58:03', '2020-03-16 09:12:00', '2022-02-10 13:58:03', '{ }', 'Rt6Yu1Io4Pa9', 'Sd3Fg8Hj2Kl5', NULL, false, NULL),
 (3, 2, 'Réunion d''équipe', 'jea-9wd-r2c-m6t', '38hyf9sxmecosfogyr3xkxwnrek8pk3yr9oudocu', 17, '2022-01-24 08:00:00', '2020-09-01 15:00:00', '2022-01-24 08:00:00', '{"muteOnStart":true,"requireModeratorApproval":false,"anyoneCanStart":false,"joinModerator":false,"recording":true}', 'Zx7Cv2Bn5Mq8', 'Wq4Er9Ty6Ui1', '123456', false, '654321'),
 (4, 3, 'Home Room', 'pau-x4f-2kd-9gh', 'zrenun5z3jqip98q1zxoi65fdhjk1eyy37q9ah8r', 3, '2022-01-20 10:00:00', '2020-03-17 08:00:00', '2022-01-20 10:00:00', '{ }', 'Op0Lk9Ji8Uh7', 'Yg6Tf5Rd4Es3', NULL, false, NULL),
 (5, 4, 'Home Room', 'sof-r7t-3vb-8wn', 'vhs1k3aq6l6gt6mjxk87au5bhxtpdpff5e8ii49k', 5, '2021-11-05 09:00:00', '2020-04-02 16:30:00', '2021-11-05 09:00:00', '{ }', 'Aw2Se3Dr4Ft5', 'Gy6Hu7Ji8Ko9', NULL, false, NULL),
 (6, 5, 'Home Room', 'mar-6hj-t9c-2xe', 'q71n8mtzx272hpoevb9ooaedoecve6pr5n8i4p40', 2, '2021-01-15 12:00:00', '2020-05-11 11:00:00', '2021-06-30 12:00:00', '{ }', 'Lp1Ko2Ji3Hu4', 'Gy5Ft6Dr7Se8', NULL, true, NULL),
 (7, 6, 'Home Room', 'dem-8qw-4ze-1rt', 'k3m9x2p7q1w8e5r4t6y0u2i9o8p7a6s5d4f3g2h1', 0, NULL, '2020-08-01 07:00:00', '2020-08-01 07:00:00', '{ }', 'Qa1Ws2Ed3Rf4', 'Tg5Yh6Uj7Ik8', NULL, false, NULL),
 (8, 6, 'Featuredemo', 'dem-2vx-6bn-9mk', '0v1xkcrre2la0vafauyepzfei16x2fkuhcfydvps', 4, '2020-08-25 14:09:41', '2020-08-20 10:00:00', '2020-08-25 14:09:41', '{"muteOnStart":false,"requireModeratorApproval":false,"anyoneCanStart":false,"joinModerator":false,"recording":true}', 'Ol9Ik8Uj7Yh6', 'Tg5Rf4Ed3Ws2', NULL, false, NULL);
SELECT setval('rooms_id_seq', 8);

-- Room 3 is shared with Paul (3) and Sofia (4): they join it as moderators.
INSERT INTO shared_accesses (id, room_id, user_id, created_at, updated_at) VALUES
 (1, 3, 3, '2021-01-04 09:00:00', '2021-01-04 09:00:00'),
 (2, 3, 4, '2021-01-04 09:00:00', '2021-01-04 09:00:00');
SELECT setval('shared_accesses_id_seq', 2);
