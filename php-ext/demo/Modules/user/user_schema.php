<?php
defined('EMONCMS_EXEC') or die('Restricted access');

$schema['users'] = array(
    'id' => array('type' => 'int(11)', 'Null' => false, 'Key' => 'PRI', 'Extra' => 'auto_increment'),
    'username' => array('type' => 'varchar(30)'),
    'email' => array('type' => 'varchar(64)'),
    'password' => array('type' => 'varchar(64)'),
    'salt' => array('type' => 'varchar(32)'),
    'apikey_write' => array('type' => 'varchar(64)', 'Index' => true),
    'apikey_read' => array('type' => 'varchar(64)', 'Index' => true),
    'admin' => array('type' => 'int(11)', 'Null' => false, 'default' => 0),
    'access' => array('type' => 'int(11)', 'Null' => false, 'default' => 2),
    'name' => array('type' => 'varchar(30)'),
    'location' => array('type' => 'varchar(30)'),
    'timezone' => array('type' => 'varchar(64)', 'default' => 'UTC'),
    'language' => array('type' => 'varchar(5)', 'default' => 'en_EN'),
    'bio' => array('type' => 'text'),
    'tags' => array('type' => 'text'),
    'gravatar' => array('type' => 'varchar(30)'),
    'startingpage' => array('type' => 'varchar(64)', 'default' => 'feed/list'),
);

$schema['rememberme'] = array(
    'userid' => array('type' => 'int(11)', 'Index' => true),
    'token' => array('type' => 'varchar(40)'),
    'persistentToken' => array('type' => 'varchar(40)'),
    'expire' => array('type' => 'datetime'),
);
