<?php
/*
 * emoncms's database updater for trees without scripts/emoncms-cli (10.x): the code behind
 * Admin → Update database (`db_schema_setup($mysqli, load_db_schema(), true)`), run from the
 * emoncms directory. Prints each statement it applied, or "No migrations to run".
 */
if (PHP_SAPI !== 'cli') {
    exit(1);
}
define('EMONCMS_EXEC', 1);
chdir(getcwd());
require_once 'process_settings.php';
$mysqli = new mysqli($settings['sql']['server'], $settings['sql']['username'], $settings['sql']['password'],
    $settings['sql']['database'], $settings['sql']['port']);
$mysqli->set_charset('utf8');
require_once 'core.php';
require_once 'Lib/dbschemasetup.php';
$updates = db_schema_setup($mysqli, load_db_schema(), true);
if (isset($updates['error'])) {
    fwrite(STDERR, 'error: ' . $updates['error'] . "\n");
    exit(1);
}
if (!$updates) {
    echo "No migrations to run\n";
    exit(0);
}
foreach ($updates as $update) {
    echo "$update\n";
}
