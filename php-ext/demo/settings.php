<?php
/*
 * Settings of the demo host, from the environment (see scripts/demo.sh and scripts/test-module.sh).
 *
 *   EMONGROUPS_DB           sqlite (default) or mysql
 *   EMONGROUPS_RUN          run directory: the SQLite file, mail.log (default <repo>/demo/run)
 *   EMONGROUPS_SQLITE       SQLite file (default $EMONGROUPS_RUN/demo.sqlite)
 *   EMONGROUPS_MYSQL_HOST, _PORT, _SOCKET, _USER, _PASSWORD, _NAME   MySQL / MariaDB connection
 */
defined('EMONCMS_EXEC') or die('Restricted access');

function demo_env($name, $default)
{
    $value = getenv($name);
    return ($value === false || $value === '') ? $default : $value;
}

$demo_run = demo_env('EMONGROUPS_RUN', dirname(__DIR__, 2) . '/demo/run');

$settings = array(
    'interface' => array('appname' => 'emoncms (emongroups demo)'),
    'sql' => array(
        'driver' => demo_env('EMONGROUPS_DB', 'sqlite'),
        'sqlite' => demo_env('EMONGROUPS_SQLITE', $demo_run . '/demo.sqlite'),
        'server' => demo_env('EMONGROUPS_MYSQL_HOST', '127.0.0.1'),
        'port' => (int) demo_env('EMONGROUPS_MYSQL_PORT', '3306'),
        'socket' => demo_env('EMONGROUPS_MYSQL_SOCKET', ''),
        'username' => demo_env('EMONGROUPS_MYSQL_USER', 'emoncms'),
        'password' => demo_env('EMONGROUPS_MYSQL_PASSWORD', ''),
        'database' => demo_env('EMONGROUPS_MYSQL_NAME', 'emoncms'),
    ),
    'feed' => array('max_datapoints' => 8928, 'csv_downloadlimit_mb' => 25),
    'run' => $demo_run,
    'mail_log' => $demo_run . '/mail.log',
    // emoncms's default: notices are printed into the response (group 2.0.0 §1.8, B-20).
    'display_errors' => true,
);
