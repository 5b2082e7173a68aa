<?php
defined('EMONCMS_EXEC') or die('Restricted access');

$schema['feeds'] = array(
    'id' => array('type' => 'int(11)', 'Null' => false, 'Key' => 'PRI', 'Extra' => 'auto_increment'),
    'userid' => array('type' => 'int(11)', 'Index' => true),
    'name' => array('type' => 'varchar(64)'),
    'tag' => array('type' => 'varchar(64)'),
    'public' => array('type' => 'tinyint(1)', 'default' => 0),
    'size' => array('type' => 'int(11)', 'default' => 0),
    'engine' => array('type' => 'int(11)', 'default' => 5),
    'unit' => array('type' => 'varchar(10)', 'default' => ''),
    'time' => array('type' => 'int(10)'),
    'value' => array('type' => 'double'),
);

// Datapoints of the demo (emoncms keeps them in files of its feed engines).
$schema['feed_data'] = array(
    'feedid' => array('type' => 'int(11)', 'Index' => true),
    'time' => array('type' => 'int(10)'),
    'value' => array('type' => 'double'),
);
