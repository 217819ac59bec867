-- Moodle test schema for a BBB identity resolver (MariaDB / MySQL).
--
-- Hand-written for tests by the research helper; NOT a dump of a real site.
-- Column names, types, NOT NULL flags, defaults and indexes follow the XMLDB
-- install.xml files (mod_bigbluebuttonbn and core install.xml; see testdata/SOURCES.md), rendered the way Moodle's
-- MySQL DDL generator renders them:
--   XMLDB int(1..2) -> TINYINT, int(3..4) -> SMALLINT, int(5..6) -> MEDIUMINT,
--   int(7..9) -> INT, int(10) -> BIGINT(10); char(n) -> VARCHAR(n) and, when
--   NOT NULL without a default, DEFAULT ''; text -> LONGTEXT.
-- Index NAMES are approximations of Moodle's generated names (mdl_<abbr>_<cols>_ix),
-- Moodle creates no FOREIGN KEY constraints on MySQL/MariaDB, so none are declared.
-- Table prefix is the default "mdl_" ($CFG->prefix is configurable on real sites).
--
-- Versions: core tables = Moodle 5.0dev install.xml (VERSION 20250206), which is
-- a superset of 4.x for the columns used here. mod_bigbluebuttonbn tables =
-- Moodle 4.2-4.4 install.xml (VERSION 20230213) + `showpresentation` (added by
-- upgrade step 2024071900, Moodle 4.5). Differences for the 3.x plugin are noted
-- inline.
--
-- Scenario (ids are referenced in docs/identity.md and the resolver tests):
--  * course 2 PHYS101: activity 1 (owner jdupont, explicit user moderator rule),
--    activity 2 (role rules editingteacher+teacher, separate groups, group 7).
--  * course 3 HIST200: activity 3 (empty participants -> default rule "owner"),
--    activity 4 was deleted (headless recording left behind).
--  * course 4 is the course of the real fixture
--    testdata/bbb/api/getRecordings-moodle-php-client-fixture.xml
--    (meetingID 9d287cf50490ca856ca5273bd303a7e321df6051-4-119[0], recordIDs
--    f71d810b6e90a4a34ae02b8c7143e8733178578e-*): activity 119, owner deleted.

SET NAMES utf8mb4;
SET time_zone = '+00:00';

DROP TABLE IF EXISTS `mdl_bigbluebuttonbn_recordings`, `mdl_bigbluebuttonbn_logs`,
  `mdl_bigbluebuttonbn`, `mdl_user_enrolments`, `mdl_enrol`, `mdl_role_assignments`,
  `mdl_role`, `mdl_context`, `mdl_course_modules`, `mdl_modules`, `mdl_course`, `mdl_user`,
  `mdl_config`;

-- ---------------------------------------------------------------------------
-- Core: mdl_config (site settings; mod_bigbluebuttonbn settings are stored
-- here with the "bigbluebuttonbn_" prefix, e.g. participant_moderator_default)
-- ---------------------------------------------------------------------------
CREATE TABLE `mdl_config` (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL DEFAULT '',
  `value` LONGTEXT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `mdl_conf_nam_uix` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC COMMENT='Moodle configuration variables';

-- ---------------------------------------------------------------------------
-- Core: mdl_user (all columns of lib/db/install.xml)
-- ---------------------------------------------------------------------------
CREATE TABLE `mdl_user` (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `auth` VARCHAR(20) NOT NULL DEFAULT 'manual',
  `confirmed` TINYINT(1) NOT NULL DEFAULT 0,
  `policyagreed` TINYINT(1) NOT NULL DEFAULT 0,
  `deleted` TINYINT(1) NOT NULL DEFAULT 0,
  `suspended` TINYINT(1) NOT NULL DEFAULT 0,
  `mnethostid` BIGINT(10) NOT NULL DEFAULT 0,
  `username` VARCHAR(100) NOT NULL DEFAULT '',
  `password` VARCHAR(255) NOT NULL DEFAULT '',
  `idnumber` VARCHAR(255) NOT NULL DEFAULT '',
  `firstname` VARCHAR(100) NOT NULL DEFAULT '',
  `lastname` VARCHAR(100) NOT NULL DEFAULT '',
  `email` VARCHAR(100) NOT NULL DEFAULT '',
  `emailstop` TINYINT(1) NOT NULL DEFAULT 0,
  `phone1` VARCHAR(20) NOT NULL DEFAULT '',
  `phone2` VARCHAR(20) NOT NULL DEFAULT '',
  `institution` VARCHAR(255) NOT NULL DEFAULT '',
  `department` VARCHAR(255) NOT NULL DEFAULT '',
  `address` VARCHAR(255) NOT NULL DEFAULT '',
  `city` VARCHAR(120) NOT NULL DEFAULT '',
  `country` VARCHAR(2) NOT NULL DEFAULT '',
  `lang` VARCHAR(30) NOT NULL DEFAULT 'en',
  `calendartype` VARCHAR(30) NOT NULL DEFAULT 'gregorian',
  `theme` VARCHAR(50) NOT NULL DEFAULT '',
  `timezone` VARCHAR(100) NOT NULL DEFAULT '99',
  `firstaccess` BIGINT(10) NOT NULL DEFAULT 0,
  `lastaccess` BIGINT(10) NOT NULL DEFAULT 0,
  `lastlogin` BIGINT(10) NOT NULL DEFAULT 0,
  `currentlogin` BIGINT(10) NOT NULL DEFAULT 0,
  `lastip` VARCHAR(45) NOT NULL DEFAULT '',
  `secret` VARCHAR(15) NOT NULL DEFAULT '',
  `picture` BIGINT(10) NOT NULL DEFAULT 0,
  `description` LONGTEXT NULL,
  `descriptionformat` TINYINT(2) NOT NULL DEFAULT 1,
  `mailformat` TINYINT(1) NOT NULL DEFAULT 1,
  `maildigest` TINYINT(1) NOT NULL DEFAULT 0,
  `maildisplay` TINYINT(2) NOT NULL DEFAULT 2,
  `autosubscribe` TINYINT(1) NOT NULL DEFAULT 1,
  `trackforums` TINYINT(1) NOT NULL DEFAULT 0,
  `timecreated` BIGINT(10) NOT NULL DEFAULT 0,
  `timemodified` BIGINT(10) NOT NULL DEFAULT 0,
  `trustbitmask` BIGINT(10) NOT NULL DEFAULT 0,
  `imagealt` VARCHAR(255) NULL,
  `lastnamephonetic` VARCHAR(255) NULL,
  `firstnamephonetic` VARCHAR(255) NULL,
  `middlename` VARCHAR(255) NULL,
  `alternatename` VARCHAR(255) NULL,
  `moodlenetprofile` VARCHAR(255) NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `mdl_user_mneuse_uix` (`mnethostid`, `username`),
  KEY `mdl_user_del_ix` (`deleted`),
  KEY `mdl_user_con_ix` (`confirmed`),
  KEY `mdl_user_fir_ix` (`firstname`),
  KEY `mdl_user_las_ix` (`lastname`),
  KEY `mdl_user_cit_ix` (`city`),
  KEY `mdl_user_cou_ix` (`country`),
  KEY `mdl_user_las2_ix` (`lastaccess`),
  KEY `mdl_user_ema_ix` (`email`),
  KEY `mdl_user_aut_ix` (`auth`),
  KEY `mdl_user_idn_ix` (`idnumber`),
  KEY `mdl_user_fir2_ix` (`firstnamephonetic`),
  KEY `mdl_user_las3_ix` (`lastnamephonetic`),
  KEY `mdl_user_mid_ix` (`middlename`),
  KEY `mdl_user_alt_ix` (`alternatename`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC COMMENT='One record for each person';

-- ---------------------------------------------------------------------------
-- Core: mdl_course (all columns of lib/db/install.xml, Moodle 5.0dev lengths,
-- Moodle 4.x had fullname VARCHAR(254))
-- ---------------------------------------------------------------------------
CREATE TABLE `mdl_course` (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `category` BIGINT(10) NOT NULL DEFAULT 0,
  `sortorder` BIGINT(10) NOT NULL DEFAULT 0,
  `fullname` VARCHAR(1333) NOT NULL DEFAULT '',
  `shortname` VARCHAR(255) NOT NULL DEFAULT '',
  `idnumber` VARCHAR(100) NOT NULL DEFAULT '',
  `summary` LONGTEXT NULL,
  `summaryformat` TINYINT(2) NOT NULL DEFAULT 0,
  `format` VARCHAR(21) NOT NULL DEFAULT 'topics',
  `showgrades` TINYINT(2) NOT NULL DEFAULT 1,
  `newsitems` MEDIUMINT(5) NOT NULL DEFAULT 1,
  `startdate` BIGINT(10) NOT NULL DEFAULT 0,
  `enddate` BIGINT(10) NOT NULL DEFAULT 0,
  `relativedatesmode` TINYINT(1) NOT NULL DEFAULT 0,
  `marker` BIGINT(10) NOT NULL DEFAULT 0,
  `maxbytes` BIGINT(10) NOT NULL DEFAULT 0,
  `legacyfiles` SMALLINT(4) NOT NULL DEFAULT 0,
  `showreports` SMALLINT(4) NOT NULL DEFAULT 0,
  `visible` TINYINT(1) NOT NULL DEFAULT 1,
  `visibleold` TINYINT(1) NOT NULL DEFAULT 1,
  `downloadcontent` TINYINT(1) NULL,
  `groupmode` SMALLINT(4) NOT NULL DEFAULT 0,
  `groupmodeforce` SMALLINT(4) NOT NULL DEFAULT 0,
  `defaultgroupingid` BIGINT(10) NOT NULL DEFAULT 0,
  `lang` VARCHAR(30) NOT NULL DEFAULT '',
  `calendartype` VARCHAR(30) NOT NULL DEFAULT '',
  `theme` VARCHAR(50) NOT NULL DEFAULT '',
  `timecreated` BIGINT(10) NOT NULL DEFAULT 0,
  `timemodified` BIGINT(10) NOT NULL DEFAULT 0,
  `requested` TINYINT(1) NOT NULL DEFAULT 0,
  `enablecompletion` TINYINT(1) NOT NULL DEFAULT 0,
  `completionnotify` TINYINT(1) NOT NULL DEFAULT 0,
  `cacherev` BIGINT(10) NOT NULL DEFAULT 0,
  `originalcourseid` BIGINT(10) NULL,
  `showactivitydates` TINYINT(1) NOT NULL DEFAULT 0,
  `showcompletionconditions` TINYINT(1) NULL,
  `pdfexportfont` VARCHAR(50) NULL,
  PRIMARY KEY (`id`),
  KEY `mdl_cour_cat_ix` (`category`),
  KEY `mdl_cour_idn_ix` (`idnumber`),
  KEY `mdl_cour_sho_ix` (`shortname`),
  KEY `mdl_cour_sor_ix` (`sortorder`),
  KEY `mdl_cour_ori_ix` (`originalcourseid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC COMMENT='Central course table';

-- ---------------------------------------------------------------------------
-- Core: mdl_modules, mdl_course_modules
-- ---------------------------------------------------------------------------
CREATE TABLE `mdl_modules` (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(20) NOT NULL DEFAULT '',
  `cron` BIGINT(10) NOT NULL DEFAULT 0,
  `lastcron` BIGINT(10) NOT NULL DEFAULT 0,
  `search` VARCHAR(255) NOT NULL DEFAULT '',
  `visible` TINYINT(1) NOT NULL DEFAULT 1,
  PRIMARY KEY (`id`),
  KEY `mdl_modu_nam_ix` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC COMMENT='modules available in the site';

CREATE TABLE `mdl_course_modules` (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `course` BIGINT(10) NOT NULL DEFAULT 0,
  `module` BIGINT(10) NOT NULL DEFAULT 0,
  `instance` BIGINT(10) NOT NULL DEFAULT 0,
  `section` BIGINT(10) NOT NULL DEFAULT 0,
  `idnumber` VARCHAR(100) NULL,
  `added` BIGINT(10) NOT NULL DEFAULT 0,
  `score` SMALLINT(4) NOT NULL DEFAULT 0,
  `indent` MEDIUMINT(5) NOT NULL DEFAULT 0,
  `visible` TINYINT(1) NOT NULL DEFAULT 1,
  `visibleoncoursepage` TINYINT(1) NOT NULL DEFAULT 1,
  `visibleold` TINYINT(1) NOT NULL DEFAULT 1,
  `groupmode` SMALLINT(4) NOT NULL DEFAULT 0,
  `groupingid` BIGINT(10) NOT NULL DEFAULT 0,
  `completion` TINYINT(1) NOT NULL DEFAULT 0,
  `completiongradeitemnumber` BIGINT(10) NULL,
  `completionview` TINYINT(1) NOT NULL DEFAULT 0,
  `completionexpected` BIGINT(10) NOT NULL DEFAULT 0,
  `completionpassgrade` TINYINT(1) NOT NULL DEFAULT 0,
  `showdescription` TINYINT(1) NOT NULL DEFAULT 0,
  `availability` LONGTEXT NULL,
  `deletioninprogress` TINYINT(1) NOT NULL DEFAULT 0,
  `downloadcontent` TINYINT(1) NULL DEFAULT 1,
  `lang` VARCHAR(30) NULL,
  PRIMARY KEY (`id`),
  KEY `mdl_courmodu_vis_ix` (`visible`),
  KEY `mdl_courmodu_cou_ix` (`course`),
  KEY `mdl_courmodu_mod_ix` (`module`),
  KEY `mdl_courmodu_ins_ix` (`instance`),
  KEY `mdl_courmodu_idncou_ix` (`idnumber`, `course`),
  KEY `mdl_courmodu_gro_ix` (`groupingid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC COMMENT='course_modules table retrofitted from MySQL';

-- ---------------------------------------------------------------------------
-- Core: roles and contexts
-- contextlevel: 10 system, 30 user, 40 course category, 50 course, 70 module, 80 block
-- ---------------------------------------------------------------------------
CREATE TABLE `mdl_context` (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `contextlevel` BIGINT(10) NOT NULL DEFAULT 0,
  `instanceid` BIGINT(10) NOT NULL DEFAULT 0,
  `path` VARCHAR(255) NULL,
  `depth` TINYINT(2) NOT NULL DEFAULT 0,
  `locked` TINYINT(2) NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  UNIQUE KEY `mdl_cont_conins_uix` (`contextlevel`, `instanceid`),
  KEY `mdl_cont_ins_ix` (`instanceid`),
  KEY `mdl_cont_pat_ix` (`path`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC COMMENT='one of these must be set';

CREATE TABLE `mdl_role` (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL DEFAULT '',
  `shortname` VARCHAR(100) NOT NULL DEFAULT '',
  `description` LONGTEXT NOT NULL,
  `sortorder` BIGINT(10) NOT NULL DEFAULT 0,
  `archetype` VARCHAR(30) NOT NULL DEFAULT '',
  PRIMARY KEY (`id`),
  UNIQUE KEY `mdl_role_sor_uix` (`sortorder`),
  UNIQUE KEY `mdl_role_sho_uix` (`shortname`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC COMMENT='moodle roles';

CREATE TABLE `mdl_role_assignments` (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `roleid` BIGINT(10) NOT NULL DEFAULT 0,
  `contextid` BIGINT(10) NOT NULL DEFAULT 0,
  `userid` BIGINT(10) NOT NULL DEFAULT 0,
  `timemodified` BIGINT(10) NOT NULL DEFAULT 0,
  `modifierid` BIGINT(10) NOT NULL DEFAULT 0,
  `component` VARCHAR(100) NOT NULL DEFAULT '',
  `itemid` BIGINT(10) NOT NULL DEFAULT 0,
  `sortorder` BIGINT(10) NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  KEY `mdl_roleassi_sor_ix` (`sortorder`),
  KEY `mdl_roleassi_rolcon_ix` (`roleid`, `contextid`),
  KEY `mdl_roleassi_useconrol_ix` (`userid`, `contextid`, `roleid`),
  KEY `mdl_roleassi_comiteuse_ix` (`component`, `itemid`, `userid`),
  KEY `mdl_roleassi_rol_ix` (`roleid`),
  KEY `mdl_roleassi_con_ix` (`contextid`),
  KEY `mdl_roleassi_use_ix` (`userid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC COMMENT='assigning roles in different context';

-- ---------------------------------------------------------------------------
-- Core: enrolment (only used for "is the owner still enrolled?")
-- ---------------------------------------------------------------------------
CREATE TABLE `mdl_enrol` (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `enrol` VARCHAR(20) NOT NULL DEFAULT '',
  `status` BIGINT(10) NOT NULL DEFAULT 0,
  `courseid` BIGINT(10) NOT NULL,
  `sortorder` BIGINT(10) NOT NULL DEFAULT 0,
  `name` VARCHAR(255) NULL,
  `enrolperiod` BIGINT(10) NULL DEFAULT 0,
  `enrolstartdate` BIGINT(10) NULL DEFAULT 0,
  `enrolenddate` BIGINT(10) NULL DEFAULT 0,
  `expirynotify` TINYINT(1) NULL DEFAULT 0,
  `expirythreshold` BIGINT(10) NULL DEFAULT 0,
  `notifyall` TINYINT(1) NULL DEFAULT 0,
  `password` VARCHAR(50) NULL,
  `cost` VARCHAR(20) NULL,
  `currency` VARCHAR(3) NULL,
  `roleid` BIGINT(10) NULL DEFAULT 0,
  `customint1` BIGINT(10) NULL,
  `customint2` BIGINT(10) NULL,
  `customint3` BIGINT(10) NULL,
  `customint4` BIGINT(10) NULL,
  `customint5` BIGINT(10) NULL,
  `customint6` BIGINT(10) NULL,
  `customint7` BIGINT(10) NULL,
  `customint8` BIGINT(10) NULL,
  `customchar1` VARCHAR(255) NULL,
  `customchar2` VARCHAR(255) NULL,
  `customchar3` VARCHAR(1333) NULL,
  `customdec1` DECIMAL(12,7) NULL,
  `customdec2` DECIMAL(12,7) NULL,
  `customtext1` LONGTEXT NULL,
  `customtext2` LONGTEXT NULL,
  `customtext3` LONGTEXT NULL,
  `customtext4` LONGTEXT NULL,
  `timecreated` BIGINT(10) NOT NULL DEFAULT 0,
  `timemodified` BIGINT(10) NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  KEY `mdl_enro_enr_ix` (`enrol`),
  KEY `mdl_enro_cou_ix` (`courseid`),
  KEY `mdl_enro_rol_ix` (`roleid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC COMMENT='Instances of enrolment plugins used in courses';

CREATE TABLE `mdl_user_enrolments` (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `status` BIGINT(10) NOT NULL DEFAULT 0,
  `enrolid` BIGINT(10) NOT NULL,
  `userid` BIGINT(10) NOT NULL,
  `timestart` BIGINT(10) NOT NULL DEFAULT 0,
  `timeend` BIGINT(10) NOT NULL DEFAULT 2147483647,
  `modifierid` BIGINT(10) NOT NULL DEFAULT 0,
  `timecreated` BIGINT(10) NOT NULL DEFAULT 0,
  `timemodified` BIGINT(10) NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  UNIQUE KEY `mdl_userenro_enruse_uix` (`enrolid`, `userid`),
  KEY `mdl_userenro_enr_ix` (`enrolid`),
  KEY `mdl_userenro_use_ix` (`userid`),
  KEY `mdl_userenro_mod_ix` (`modifierid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC COMMENT='Users participating in courses (aka enrolled users)';

-- ---------------------------------------------------------------------------
-- mod_bigbluebuttonbn: activity instances
-- 3.x plugin (2.4-stable) differs: has lockedlayout, lockonjoin,
-- lockonjoinconfigurable (all TINYINT(1) NOT NULL DEFAULT 0, after hideuserlist)
-- and lacks guestallowed, mustapproveuser, guestlinkuid, guestpassword,
-- showpresentation. Upgrade 2022080400 drops lockonjoin/lockonjoinconfigurable,
-- no upgrade step we read drops lockedlayout, so sites upgraded from 3.x may
-- still have that column.
-- ---------------------------------------------------------------------------
CREATE TABLE `mdl_bigbluebuttonbn` (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `type` TINYINT(2) NOT NULL DEFAULT 0,
  `course` BIGINT(10) NOT NULL DEFAULT 0,
  `name` VARCHAR(255) NOT NULL DEFAULT '',
  `intro` LONGTEXT NULL,
  `introformat` SMALLINT(4) NOT NULL DEFAULT 1,
  `meetingid` VARCHAR(255) NOT NULL DEFAULT '',
  `moderatorpass` VARCHAR(255) NOT NULL DEFAULT '',
  `viewerpass` VARCHAR(255) NOT NULL DEFAULT '',
  `wait` TINYINT(1) NOT NULL DEFAULT 0,
  `record` TINYINT(1) NOT NULL DEFAULT 0,
  `recordallfromstart` TINYINT(1) NOT NULL DEFAULT 0,
  `recordhidebutton` TINYINT(1) NOT NULL DEFAULT 0,
  `welcome` LONGTEXT NULL,
  `voicebridge` MEDIUMINT(5) NOT NULL DEFAULT 0,
  `openingtime` BIGINT(10) NOT NULL DEFAULT 0,
  `closingtime` BIGINT(10) NOT NULL DEFAULT 0,
  `timecreated` BIGINT(10) NOT NULL DEFAULT 0,
  `timemodified` BIGINT(10) NOT NULL DEFAULT 0,
  `presentation` LONGTEXT NULL,
  `participants` LONGTEXT NULL,
  `userlimit` SMALLINT(3) NOT NULL DEFAULT 0,
  `recordings_html` TINYINT(1) NOT NULL DEFAULT 0,
  `recordings_deleted` TINYINT(1) NOT NULL DEFAULT 1,
  `recordings_imported` TINYINT(1) NOT NULL DEFAULT 0,
  `recordings_preview` TINYINT(1) NOT NULL DEFAULT 0,
  `clienttype` TINYINT(1) NOT NULL DEFAULT 0,
  `muteonstart` TINYINT(1) NOT NULL DEFAULT 0,
  `disablecam` TINYINT(1) NOT NULL DEFAULT 0,
  `disablemic` TINYINT(1) NOT NULL DEFAULT 0,
  `disableprivatechat` TINYINT(1) NOT NULL DEFAULT 0,
  `disablepublicchat` TINYINT(1) NOT NULL DEFAULT 0,
  `disablenote` TINYINT(1) NOT NULL DEFAULT 0,
  `hideuserlist` TINYINT(1) NOT NULL DEFAULT 0,
  `completionattendance` INT(9) NOT NULL DEFAULT 0,
  `completionengagementchats` INT(9) NOT NULL DEFAULT 0,
  `completionengagementtalks` INT(9) NOT NULL DEFAULT 0,
  `completionengagementraisehand` INT(9) NOT NULL DEFAULT 0,
  `completionengagementpollvotes` INT(9) NOT NULL DEFAULT 0,
  `completionengagementemojis` INT(9) NOT NULL DEFAULT 0,
  `guestallowed` TINYINT(2) NULL DEFAULT 0,
  `mustapproveuser` TINYINT(2) NULL DEFAULT 1,
  `guestlinkuid` VARCHAR(1024) NULL,
  `guestpassword` VARCHAR(255) NULL,
  `showpresentation` TINYINT(1) NOT NULL DEFAULT 1,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC COMMENT='The bigbluebuttonbn table to store information about a meeting activities.';

-- Same definition in the 3.x plugin (2.3+) and in core 4.x, except the
-- course_bbbid_ix index which only exists in the core (20230213) install.xml.
CREATE TABLE `mdl_bigbluebuttonbn_logs` (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `courseid` BIGINT(10) NOT NULL,
  `bigbluebuttonbnid` BIGINT(10) NOT NULL,
  `userid` BIGINT(10) NULL,
  `timecreated` BIGINT(10) NOT NULL DEFAULT 0,
  `meetingid` VARCHAR(256) NOT NULL DEFAULT '',
  `log` VARCHAR(32) NOT NULL DEFAULT '',
  `meta` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  KEY `mdl_bigblogs_cou_ix` (`courseid`),
  KEY `mdl_bigblogs_log_ix` (`log`),
  KEY `mdl_bigblogs_coubiguselog_ix` (`courseid`, `bigbluebuttonbnid`, `userid`, `log`),
  KEY `mdl_bigblogs_uselog_ix` (`userid`, `log`),
  KEY `mdl_bigblogs_coubig_ix` (`courseid`, `bigbluebuttonbnid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC COMMENT='The bigbluebuttonbn table to store meeting activity events';

-- Moodle 4.0+ only (created by upgrade step 2021072905, columns renamed by
-- 2021072906/2021072907). status: 0 awaiting, 1 dismissed, 2 processed,
-- 3 notified, 4 reset, 5 deleted. recordingid = BBB recordID (= internalMeetingID).
CREATE TABLE `mdl_bigbluebuttonbn_recordings` (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `courseid` BIGINT(10) NOT NULL,
  `bigbluebuttonbnid` BIGINT(10) NOT NULL,
  `groupid` BIGINT(10) NULL,
  `recordingid` VARCHAR(64) NOT NULL DEFAULT '',
  `headless` TINYINT(1) NOT NULL DEFAULT 0,
  `imported` TINYINT(1) NOT NULL DEFAULT 0,
  `status` TINYINT(1) NOT NULL DEFAULT 0,
  `importeddata` LONGTEXT NULL,
  `timecreated` BIGINT(10) NOT NULL DEFAULT 0,
  `usermodified` BIGINT(10) NOT NULL DEFAULT 0,
  `timemodified` BIGINT(10) NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  KEY `mdl_bigbreco_cou_ix` (`courseid`),
  KEY `mdl_bigbreco_rec_ix` (`recordingid`),
  KEY `mdl_bigbreco_big_ix` (`bigbluebuttonbnid`),
  KEY `mdl_bigbreco_use_ix` (`usermodified`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC COMMENT='The bigbluebuttonbn table to store references to recordings';

-- ===========================================================================
-- Sample data
-- ===========================================================================

-- participant_moderator_default: comma list; '0' = the activity owner,
-- other values = role ids (or shortnames). siteadmins: comma list of user ids
-- (site admins always join as moderators).
INSERT INTO `mdl_config` (`id`, `name`, `value`) VALUES
 (1, 'version', '2024100701.00'),
 (2, 'release', '4.5.1 (Build: 20241209)'),
 (3, 'siteadmins', '2'),
 (4, 'bigbluebuttonbn_participant_moderator_default', '0'),
 (5, 'bigbluebuttonbn_server_url', 'https://bbb.univ.example.fr/bigbluebutton/');

-- Users. Deleted users keep their row: username becomes "<email>.<time>",
-- email is emptied, deleted=1 (role assignments are removed).
INSERT INTO `mdl_user` (`id`, `auth`, `confirmed`, `deleted`, `suspended`, `mnethostid`, `username`, `password`, `idnumber`, `firstname`, `lastname`, `email`, `lang`, `timezone`, `timecreated`, `timemodified`) VALUES
 (1, 'manual', 1, 0, 0, 1, 'guest', '', '', 'Guest user', ' ', 'root@localhost', 'en', '99', 0, 1600000000),
 (2, 'manual', 1, 0, 0, 1, 'admin', '$2y$10$examplehashexamplehashexamplehashexamplehashexampleha', '', 'Admin', 'User', 'moodle-admin@univ.example.fr', 'fr', '99', 0, 1600000000),
 (3, 'cas', 1, 0, 0, 1, 'jdupont', 'not cached', 'E1234567', 'Jeanne', 'Dupont', 'jeanne.dupont@univ.example.fr', 'fr', 'Europe/Paris', 1600000100, 1700000000),
 (4, 'cas', 1, 0, 0, 1, 'pmartin', 'not cached', 'E2345678', 'Paul', 'Martin', 'paul.martin@univ.example.fr', 'fr', 'Europe/Paris', 1600000200, 1700000000),
 (5, 'cas', 1, 0, 0, 1, 'lbernard', 'not cached', '21901234', 'Lucie', 'Bernard', 'lucie.bernard@etu.univ.example.fr', 'fr', '99', 1600000300, 1700000000),
 (6, 'cas', 1, 0, 0, 1, 'aleroy', 'not cached', 'E3456789', 'Antoine', 'Leroy', 'antoine.leroy@univ.example.fr', 'fr', '99', 1600000400, 1700000000),
 (7, 'manual', 1, 1, 0, 1, 'marc.moreau@univ.example.fr.1650000000', '', '', 'Marc', 'Moreau', '', 'en', '99', 1400000000, 1650000000),
 (8, 'ldap', 1, 0, 1, 1, 'sgarcia', 'not cached', 'E4567890', 'Sofia', 'Garcia', 'sofia.garcia@univ.example.fr', 'es', '99', 1400000500, 1700000000);

INSERT INTO `mdl_role` (`id`, `name`, `shortname`, `description`, `sortorder`, `archetype`) VALUES
 (1, '', 'manager', '', 1, 'manager'),
 (2, '', 'coursecreator', '', 2, 'coursecreator'),
 (3, '', 'editingteacher', '', 3, 'editingteacher'),
 (4, '', 'teacher', '', 4, 'teacher'),
 (5, '', 'student', '', 5, 'student'),
 (6, '', 'guest', '', 6, 'guest'),
 (7, '', 'user', '', 7, 'user'),
 (8, '', 'frontpage', '', 8, 'frontpage');

INSERT INTO `mdl_course` (`id`, `category`, `sortorder`, `fullname`, `shortname`, `idnumber`, `summary`, `format`, `startdate`, `visible`, `timecreated`, `timemodified`) VALUES
 (1, 0, 1, 'Université Exemple', 'UE', '', '', 'site', 0, 1, 1400000000, 1400000000),
 (2, 1, 10002, 'Physique générale 1', 'PHYS101', 'PHYS101-2024', '', 'topics', 1693519200, 1, 1690000000, 1700000000),
 (3, 1, 10003, 'Histoire contemporaine', 'HIST200', 'HIST200-2024', '', 'topics', 1693519200, 1, 1690000100, 1700000000),
 (4, 1, 10004, 'SAT Score Booster Program-Main', 'SAT-MAIN', '', '', 'weeks', 1420070400, 1, 1420000000, 1463000000);

INSERT INTO `mdl_modules` (`id`, `name`, `cron`, `lastcron`, `search`, `visible`) VALUES
 (1, 'assign', 0, 0, '', 1),
 (2, 'bigbluebuttonbn', 0, 0, '', 1),
 (3, 'book', 0, 0, '', 1),
 (10, 'forum', 0, 0, '', 1),
 (15, 'label', 0, 0, '', 1);

-- Contexts: path is the chain of context ids from the system context.
INSERT INTO `mdl_context` (`id`, `contextlevel`, `instanceid`, `path`, `depth`, `locked`) VALUES
 (1, 10, 0, '/1', 1, 0),
 (2, 50, 1, '/1/2', 2, 0),
 (3, 40, 1, '/1/3', 2, 0),
 (20, 50, 2, '/1/3/20', 3, 0),
 (30, 50, 3, '/1/3/30', 3, 0),
 (40, 50, 4, '/1/3/40', 3, 0),
 (21, 70, 15, '/1/3/20/21', 4, 0),
 (22, 70, 16, '/1/3/20/22', 4, 0),
 (31, 70, 25, '/1/3/30/31', 4, 0),
 (41, 70, 412, '/1/3/40/41', 4, 0);

-- course_modules: instance = mdl_bigbluebuttonbn.id; activity 4 was deleted (no cm).
INSERT INTO `mdl_course_modules` (`id`, `course`, `module`, `instance`, `section`, `added`, `visible`, `groupmode`, `groupingid`) VALUES
 (15, 2, 2, 1, 11, 1693000000, 1, 0, 0),
 (16, 2, 2, 2, 12, 1693000100, 1, 1, 0),
 (25, 3, 2, 3, 21, 1693000200, 1, 0, 0),
 (412, 4, 2, 119, 41, 1430000000, 1, 0, 0);

-- Role assignments. Moderator rules are evaluated with get_user_roles() on the
-- module context, which includes parent contexts (course 50, category 40, system 10).
INSERT INTO `mdl_role_assignments` (`id`, `roleid`, `contextid`, `userid`, `timemodified`, `modifierid`, `component`, `itemid`, `sortorder`) VALUES
 (1, 3, 20, 3, 1690000000, 2, '', 0, 0),   -- jdupont  editingteacher PHYS101
 (2, 4, 20, 4, 1690000000, 2, '', 0, 0),   -- pmartin  teacher        PHYS101
 (3, 5, 20, 5, 1690000000, 2, 'enrol_manual', 1, 0),
 (4, 3, 30, 6, 1690000000, 2, '', 0, 0),   -- aleroy   editingteacher HIST200
 (5, 5, 30, 5, 1690000000, 2, 'enrol_manual', 2, 0),
 (6, 3, 40, 8, 1420000000, 2, '', 0, 0),   -- sgarcia  editingteacher SAT (suspended account)
 (7, 5, 40, 5, 1420000000, 2, 'enrol_manual', 3, 0),
 (8, 4, 22, 5, 1700000000, 3, '', 0, 0),   -- lbernard teacher on the module context of activity 2 only
 (9, 1, 1, 2, 1400000000, 0, '', 0, 0)     -- admin    manager at system level
;

INSERT INTO `mdl_enrol` (`id`, `enrol`, `status`, `courseid`, `sortorder`, `roleid`, `timecreated`, `timemodified`) VALUES
 (1, 'manual', 0, 2, 0, 5, 1690000000, 1690000000),
 (2, 'manual', 0, 3, 0, 5, 1690000000, 1690000000),
 (3, 'manual', 0, 4, 0, 5, 1420000000, 1420000000);

INSERT INTO `mdl_user_enrolments` (`id`, `status`, `enrolid`, `userid`, `timestart`, `timeend`, `modifierid`, `timecreated`, `timemodified`) VALUES
 (1, 0, 1, 3, 0, 2147483647, 2, 1690000000, 1690000000),
 (2, 0, 1, 4, 0, 2147483647, 2, 1690000000, 1690000000),
 (3, 0, 1, 5, 0, 2147483647, 2, 1690000000, 1690000000),
 (4, 0, 2, 6, 0, 2147483647, 2, 1690000000, 1690000000),
 (5, 0, 2, 5, 0, 2147483647, 2, 1690000000, 1690000000),
 (6, 0, 3, 8, 0, 2147483647, 2, 1420000000, 1420000000),
 (7, 0, 3, 5, 0, 2147483647, 2, 1420000000, 1420000000);

-- Activities. meetingid is only the 40-hex seed; the BBB meetingID is
-- "<seed>-<course>-<id>" (3.x without group mode) or "<seed>-<course>-<id>[<groupid>]".
-- participants JSON: selectionid is "all", a user id or a role id as string
-- (legacy rows may hold a role shortname, e.g. "editingteacher").
INSERT INTO `mdl_bigbluebuttonbn` (`id`, `type`, `course`, `name`, `intro`, `introformat`, `meetingid`, `moderatorpass`, `viewerpass`, `wait`, `record`, `welcome`, `voicebridge`, `timecreated`, `timemodified`, `participants`, `recordings_deleted`) VALUES
 (1, 0, 2, 'Cours magistral PHYS101', '<p>Amphi virtuel du mardi</p>', 1, '1f748191b13a43ca7cccb140635dd9f91bee94a9', 'mX4kP9tQ2wZr', 'vB7nL3sD8fHj', 0, 1, '', 0, 1693000000, 1700000000,
  '[{"selectiontype":"all","selectionid":"all","role":"viewer"},{"selectiontype":"user","selectionid":"3","role":"moderator"}]', 1),
 (2, 0, 2, 'TD de physique (groupes)', '', 1, 'e91ea28766a627074a88f956b1190a9f1b967e43', 'qW8eR5tY1uIo', 'pA2sD6fG9hJk', 1, 1, '', 0, 1693000100, 1700000000,
  '[{"selectiontype":"all","selectionid":"all","role":"viewer"},{"selectiontype":"role","selectionid":"3","role":"moderator"},{"selectiontype":"role","selectionid":"4","role":"moderator"}]', 1),
 (3, 0, 3, 'Permanence HIST200', '', 1, 'c05dc6bd9c2352dc49856df88ec162057978018e', 'zX1cV4bN7mQw', 'eR3tY6uI9oPa', 0, 1, '', 0, 1693000200, 1693000200,
  '[]', 1),
 (119, 0, 4, 'SAT- Writing-Humanities', '', 1, '9d287cf50490ca856ca5273bd303a7e321df6051', 'sD5fG8hJ2kLz', 'xC6vB9nM3qWe', 0, 1, '', 0, 1430000000, 1462000000,
  '[{"selectiontype":"all","selectionid":"all","role":"viewer"},{"selectiontype":"user","selectionid":"8","role":"moderator"},{"selectiontype":"role","selectionid":"editingteacher","role":"moderator"}]', 1);

-- Logs. Owner = userid of the (first) 'Add' row. Add rows carry the bare seed.
-- 'Create' rows (3.x only) carry the full meetingID and meta {"record":true|false},
-- the 4.0 upgrade task renames those it converted to 'create-migrated'.
INSERT INTO `mdl_bigbluebuttonbn_logs` (`id`, `courseid`, `bigbluebuttonbnid`, `userid`, `timecreated`, `meetingid`, `log`, `meta`) VALUES
 (1, 4, 119, 7, 1430000000, '9d287cf50490ca856ca5273bd303a7e321df6051', 'Add', NULL),
 (2, 4, 119, 8, 1462807890, '9d287cf50490ca856ca5273bd303a7e321df6051-4-119[0]', 'create-migrated', '{"record":true}'),
 (3, 4, 119, 8, 1462807895, '9d287cf50490ca856ca5273bd303a7e321df6051-4-119[0]', 'Join', '{"origin":0}'),
 (4, 4, 119, 8, 1463152995, '9d287cf50490ca856ca5273bd303a7e321df6051-4-119[0]', 'create-migrated', '{"record":true}'),
 (5, 2, 1, 3, 1693000000, '1f748191b13a43ca7cccb140635dd9f91bee94a9', 'Add', NULL),
 (6, 2, 1, 3, 1699999000, '1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1', 'create-migrated', '{"record":true}'),
 (7, 2, 1, 3, 1699999002, '1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1', 'Join', '{"origin":0}'),
 (8, 2, 1, 5, 1699999100, '1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1', 'Join', '{"origin":1}'),
 (9, 2, 1, 3, 1700000000, '1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1[0]', 'Edit', NULL),
 (10, 2, 1, 3, 1710237480, '1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1[0]', 'Join', '{"origin":0}'),
 (11, 2, 2, 4, 1693000100, 'e91ea28766a627074a88f956b1190a9f1b967e43', 'Add', NULL),
 (12, 2, 2, 4, 1711447190, 'e91ea28766a627074a88f956b1190a9f1b967e43-2-2[7]', 'Join', '{"origin":0}'),
 (13, 3, 3, 6, 1693000200, 'c05dc6bd9c2352dc49856df88ec162057978018e', 'Add', NULL),
 (14, 3, 3, 6, 1712656790, 'c05dc6bd9c2352dc49856df88ec162057978018e-3-3[0]', 'Join', '{"origin":2}'),
 (15, 3, 4, 6, 1693000300, '39ac2f43b20a480a4972944d54d34478efe888b7', 'Add', NULL),
 (16, 3, 4, 6, 1713866390, '39ac2f43b20a480a4972944d54d34478efe888b7-3-4[0]', 'Join', '{"origin":0}'),
 (17, 3, 4, 6, 1714000000, '39ac2f43b20a480a4972944d54d34478efe888b7-3-4[0]', 'Delete', '{"has_recordings":true}');

-- Recordings (4.x). recordingid = sha1(meetingID) || '-' || createTime(ms).
-- Row 2 comes from a 3.x meeting (meetingID without "[0]"), row 6 is headless
-- (activity 4 deleted), row 7 is activity 1's recording imported into activity 3,
-- rows 8-9 are the real fixture's recordings (migrated, importeddata = JSON).
INSERT INTO `mdl_bigbluebuttonbn_recordings` (`id`, `courseid`, `bigbluebuttonbnid`, `groupid`, `recordingid`, `headless`, `imported`, `status`, `importeddata`, `timecreated`, `usermodified`, `timemodified`) VALUES
 (1, 2, 1, 0, 'a3af0ac668deec2baeefad04e38d8df093094350-1710237483000', 0, 0, 2, NULL, 1710237483, 3, 1710241000),
 (2, 2, 1, 0, '71d6ce46098db2bcf69692f5f29fd6f82505f6a1-1699999001000', 0, 0, 2, '{"recordID":"71d6ce46098db2bcf69692f5f29fd6f82505f6a1-1699999001000","meetingID":"1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1"}', 1699999000, 0, 1699999000),
 (3, 2, 2, 7, '8e24b5c5960f50a9f07076d1b14e30f7ebbe28ac-1711447200123', 0, 0, 2, NULL, 1711447200, 4, 1711450000),
 (4, 3, 3, 0, '8abd913bf59d695e553261e1356b57dd80398392-1712656800456', 0, 0, 2, NULL, 1712656800, 6, 1712660000),
 (5, 3, 3, 0, '8abd913bf59d695e553261e1356b57dd80398392-1716285600222', 0, 0, 1, NULL, 1716285600, 6, 1716290000),
 (6, 3, 4, 0, '06244b8893d931cd2a4505efc28c3f720319bc9e-1713866400789', 1, 0, 2, NULL, 1713866400, 6, 1714000000),
 (7, 3, 3, 0, 'a3af0ac668deec2baeefad04e38d8df093094350-1710237483000', 0, 1, 2, '{"recordID":"a3af0ac668deec2baeefad04e38d8df093094350-1710237483000","meetingID":"1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1[0]","meta_bbb-recording-name":"Cours magistral PHYS101"}', 1712000000, 6, 1712000000),
 (8, 4, 119, 0, 'f71d810b6e90a4a34ae02b8c7143e8733178578e-1462807897120', 0, 0, 2, '{"recordID":"f71d810b6e90a4a34ae02b8c7143e8733178578e-1462807897120","meetingID":"9d287cf50490ca856ca5273bd303a7e321df6051-4-119[0]"}', 1462807890, 0, 1462807890),
 (9, 4, 119, 0, 'f71d810b6e90a4a34ae02b8c7143e8733178578e-1463153001071', 0, 0, 2, '{"recordID":"f71d810b6e90a4a34ae02b8c7143e8733178578e-1463153001071","meetingID":"9d287cf50490ca856ca5273bd303a7e321df6051-4-119[0]"}', 1463152995, 0, 1463152995);
