<?php
defined('EMONCMS_EXEC') or die('Restricted access');

$schema['input'] = array(
    'id' => array('type' => 'int(11)', 'Null' => false, 'Key' => 'PRI', 'Extra' => 'auto_increment'),
    'userid' => array('type' => 'int(11)', 'Index' => true),
    'nodeid' => array('type' => 'varchar(64)'),
    'name' => array('type' => 'varchar(64)'),
    'description' => array('type' => 'varchar(128)', 'default' => ''),
    'processList' => array('type' => 'text'),
    'time' => array('type' => 'int(10)'),
    'value' => array('type' => 'double'),
);
