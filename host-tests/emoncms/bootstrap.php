<?php
/*
 * emoncms's connections for a PHP CLI script run inside the copied tree (emoncms_php, from
 * $EMONCMS_WWW): process_settings.php, then MariaDB and Redis opened as index.php opens them.
 * Leaves $settings, $mysqli and $redis (false when settings.ini turns Redis off).
 */
defined('EMONCMS_EXEC') or define('EMONCMS_EXEC', 1);
if (getenv('EMONCMS_WWW')) {
    chdir(getenv('EMONCMS_WWW'));
}
require_once 'process_settings.php';
require_once 'Lib/EmonLogger.php';
$mysqli = new mysqli($settings['sql']['server'], $settings['sql']['username'], $settings['sql']['password'],
    $settings['sql']['database'], (int) $settings['sql']['port']);
$mysqli->set_charset('utf8');
$redis = false;
if ($settings['redis']['enabled']) {
    $redis = new Redis();
    if (!$redis->connect($settings['redis']['host'], (int) $settings['redis']['port'])) {
        fwrite(STDERR, "no Redis at {$settings['redis']['host']}:{$settings['redis']['port']}\n");
        exit(1);
    }
    if (!empty($settings['redis']['prefix'])) {
        $redis->setOption(Redis::OPT_PREFIX, $settings['redis']['prefix']);
    }
    if (!empty($settings['redis']['dbnum'])) {
        $redis->select($settings['redis']['dbnum']);
    }
}
