<?php
/*
 * Tables of the group module, in emoncms's schema format (Lib/dbschemasetup.php).
 * The columns are group 2.0.0's, unchanged, so an installation switches without migrating data.
 * Additive only: the two indexes on group_users (emoncms's updater creates missing indexes and
 * never drops anything). The tables stay as emoncms's updater creates them (MyISAM); the module
 * never changes a table itself (php-ext/module/README.md: "What changes in your database").
 */
defined('EMONCMS_EXEC') or die('Restricted access');

$schema['groups'] = array(
    'id' => array('type' => 'int(11)', 'Null' => false, 'Key' => 'PRI', 'Extra' => 'auto_increment'),
    'name' => array('type' => 'varchar(64)'),
    'description' => array('type' => 'varchar(256)'),
    'organization' => array('type' => 'varchar(64)'),
    'area' => array('type' => 'varchar(64)'),
    'visibility' => array('type' => 'varchar(16)'),
    'access' => array('type' => 'varchar(16)'),
);

$schema['group_users'] = array(
    'groupid' => array('type' => 'int(11)', 'Index' => true),
    'userid' => array('type' => 'int(11)', 'Index' => true),
    'role' => array('type' => 'int(1)'),
    'admin_rights' => array('type' => 'varchar(16)'),
);

// The journal of group changes in progress (the module's own, new in this version): a change
// writes the before-images of the rows it is about to write here first and removes its row when
// done, so a change cut short by a crash (PHP or MariaDB killed) is put back by the next group
// request. Empty whenever no change is running.
$schema['group_journal'] = array(
    'id' => array('type' => 'int(11)', 'Null' => false, 'Key' => 'PRI', 'Extra' => 'auto_increment'),
    'route' => array('type' => 'varchar(32)'),
    'started' => array('type' => 'int(11)'),
    'steps' => array('type' => 'mediumblob'),
);
