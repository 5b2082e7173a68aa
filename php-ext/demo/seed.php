<?php
/*
 * Creates the demo database (schema of every module, the group module's included) and seeds it.
 *
 *   php seed.php fresh demo                     the demo story (installer, research project, community)
 *   php seed.php bulk:NAME:G:M:F                an administrator NAME of G groups × M members × F feeds
 *
 * Steps run in order; `fresh` empties the database first. A JSON summary of what was created
 * (logins, API keys, group and feed ids) is written to <run>/seed.json (merged with earlier runs).
 * Connection settings come from the environment (settings.php).
 */
if (PHP_SAPI !== 'cli') {
    exit(1);
}
define('EMONCMS_EXEC', 1);
chdir(__DIR__);
require 'settings.php';
require 'core.php';
require 'Lib/demodb.php';
require 'Lib/dbschemasetup.php';
require 'Modules/user/user_model.php';

error_reporting(E_ALL);
ini_set('display_errors', 'stderr');

$summaryFile = $settings['run'] . '/seed.json';
if (!is_dir($settings['run'])) {
    mkdir($settings['run'], 0775, true);
}
$summary = array();

foreach (array_slice($argv, 1) as $step) {
    if ($step === 'fresh') {
        seed_fresh($settings);
        $summary = array();
        continue;
    }
    $db = new DemoDb(DemoDb::open($settings['sql']));
    if ($summary === array() && is_file($summaryFile)) {
        $summary = json_decode((string) file_get_contents($summaryFile), true) ?: array();
    }
    if ($step === 'demo') {
        $summary['demo'] = seed_demo($db);
    } elseif (preg_match('/^bulk:([a-z0-9]+):(\d+):(\d+):(\d+)$/', $step, $m)) {
        $summary['bulk'][$m[1]] = seed_bulk($db, $m[1], (int) $m[2], (int) $m[3], (int) $m[4]);
    } else {
        fwrite(STDERR, "unknown step $step\n");
        exit(2);
    }
    file_put_contents($summaryFile, json_encode($summary, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES));
}

/** Empties the database and creates every module's tables, as emoncms's updater would. */
function seed_fresh(array $settings)
{
    if ($settings['sql']['driver'] === 'sqlite') {
        foreach (array('', '-wal', '-shm') as $suffix) {
            if (is_file($settings['sql']['sqlite'] . $suffix)) {
                unlink($settings['sql']['sqlite'] . $suffix);
            }
        }
        $db = new DemoDb(DemoDb::open($settings['sql']));
    } else {
        $db = new DemoDb(DemoDb::open($settings['sql']));
        foreach ($db->tables() as $table) {
            $db->exec('DROP TABLE `' . $table . '`');
        }
    }
    demo_schema_setup($db, load_db_schema());
}

function seed_begin(DemoDb $db)
{
    $db->exec($db->driver === 'mysql' ? 'START TRANSACTION' : 'BEGIN');
}

function seed_commit(DemoDb $db)
{
    $db->exec('COMMIT');
}

/** INSERTs many rows, a few hundred per statement. */
function seed_insert(DemoDb $db, $table, array $columns, array $rows)
{
    foreach (array_chunk($rows, 300) as $chunk) {
        $marks = '(' . implode(', ', array_fill(0, count($columns), '?')) . ')';
        $sql = 'INSERT INTO ' . $db->quote($table) . ' (' . implode(', ', $columns) . ') VALUES '
            . implode(', ', array_fill(0, count($chunk), $marks));
        $params = array();
        foreach ($chunk as $row) {
            foreach ($row as $value) {
                $params[] = $value;
            }
        }
        $db->run($sql, $params);
    }
}

function seed_user(DemoDb $db, $username, $password, array $extra = array())
{
    $salt = bin2hex(random_bytes(16));
    $fields = array_merge(array(
        'username' => $username, 'password' => User::hash_password($password, $salt), 'salt' => $salt,
        'email' => "$username@example.org", 'apikey_read' => bin2hex(random_bytes(16)),
        'apikey_write' => bin2hex(random_bytes(16)), 'admin' => 0, 'access' => 2, 'name' => ucfirst($username),
        'location' => '', 'timezone' => 'Europe/London', 'bio' => '', 'tags' => null, 'language' => 'en_GB',
    ), $extra);
    seed_insert($db, 'users', array_keys($fields), array(array_values($fields)));
    $id = $db->lastId();
    return array('id' => $id, 'username' => $username, 'password' => $password,
        'apikey_read' => $fields['apikey_read'], 'apikey_write' => $fields['apikey_write']);
}

function seed_group(DemoDb $db, $name, $description, $organization = '', $area = '', $visibility = 'private', $access = 'closed')
{
    seed_insert($db, 'groups', array('name', 'description', 'organization', 'area', 'visibility', 'access'),
        array(array($name, $description, $organization, $area, $visibility, $access)));
    return $db->lastId();
}

function seed_member(DemoDb $db, $gid, $uid, $role, $rights = 'full')
{
    seed_insert($db, 'group_users', array('groupid', 'userid', 'role', 'admin_rights'), array(array($gid, $uid, $role, $rights)));
}

/**
 * One feed with datapoints every $step seconds over $span seconds, ending $ago seconds before
 * $now; $fn(t) gives the value.
 */
function seed_feed(DemoDb $db, $uid, $name, $tag, $unit, $now, $ago, $fn, $public = 0, $span = 172800, $step = 600)
{
    $updated = $now - $ago;
    $last = $updated - $updated % $step;
    $points = array();
    $value = null;
    if ($span > 0) {
        for ($t = $last - $span + $step; $t <= $last; $t += $step) {
            $value = round($fn($t), 2);
            $points[] = array(0, $t, $value);
        }
    }
    seed_insert($db, 'feeds', array('userid', 'name', 'tag', 'public', 'size', 'engine', 'unit', 'time', 'value'),
        array(array($uid, $name, $tag, $public, count($points) * 4, 5, $unit, $span > 0 ? $updated : null, $value)));
    $fid = $db->lastId();
    foreach ($points as $i => $p) {
        $points[$i][0] = $fid;
    }
    seed_insert($db, 'feed_data', array('feedid', 'time', 'value'), $points);
    return $fid;
}

/** The demo story: an installer's 40 heat-pump sites, a research project, a community group. */
function seed_demo(DemoDb $db)
{
    mt_srand(42);
    $now = time();
    seed_begin($db);
    $logins = array();
    $logins['admin'] = seed_user($db, 'admin', 'admin', array('admin' => 1, 'name' => 'Site Admin'));
    $logins['installer'] = seed_user($db, 'installer', 'installer', array('name' => 'Ivy Installer', 'location' => 'Machynlleth'));
    $logins['technician'] = seed_user($db, 'technician', 'technician', array('name' => 'Tom Technician'));
    $logins['researcher'] = seed_user($db, 'researcher', 'researcher', array('name' => 'Rhys Researcher', 'location' => 'Cardiff'));
    $logins['organiser'] = seed_user($db, 'organiser', 'organiser', array('name' => 'Olwen Organiser'));
    $logins['observer'] = seed_user($db, 'observer', 'observer', array('name' => 'Owen Observer'));

    $installs = seed_group($db, 'HeatPumpInstalls', 'Heat-pump-sites-we-installed-and-look-after', 'IvyHeat', 'Wales');
    seed_member($db, $installs, $logins['installer']['id'], 1);
    seed_member($db, $installs, $logins['technician']['id'], 2);
    $study = seed_group($db, 'HeatPumpStudy', 'Research-project:seasonal-performance', 'University', 'UK');
    seed_member($db, $study, $logins['researcher']['id'], 1);
    $village = seed_group($db, 'SolarVillage', 'Community-energy-group', 'VillageEnergy', 'Llan', 'public', 'open');
    seed_member($db, $village, $logins['organiser']['id'], 1);
    seed_member($db, $village, $logins['observer']['id'], 4);

    // Sites 37–40 are stale: their last data is 3 hours, 1 day, 3 days and a week old.
    $stale = array(37 => 3 * 3600, 38 => 86400, 39 => 3 * 86400, 40 => 7 * 86400);
    $sites = array();
    for ($n = 1; $n <= 40; $n++) {
        $name = sprintf('site%02d', $n);
        $site = seed_user($db, $name, $name, array('name' => "Site $n", 'location' => "Postcode SY20 {$n}AB",
            'tags' => json_encode(array('heatpump' => $n % 3 ? 'air-source' : 'ground-source', 'kW' => 5 + $n % 4))));
        $ago = isset($stale[$n]) ? $stale[$n] : mt_rand(5, 300);
        $phase = mt_rand(0, 3600);
        $size = 5 + $n % 4;
        $outside = function ($t) use ($phase) { return 7 + 5 * sin(2 * M_PI * (($t + $phase) % 86400) / 86400 - M_PI / 2); };
        $heat = function ($t) use ($outside, $size) { return max(0, (19 - $outside($t)) * 180 * $size / 6); };
        $cop = function ($t) use ($outside) { return 2.6 + 0.07 * $outside($t); };
        $flow = function ($t) use ($outside) { return 33 + (19 - $outside($t)) * 0.6; };
        $site['feeds'] = array(
            'heatpump_elec' => seed_feed($db, $site['id'], 'heatpump_elec', 'heatpump', 'W', $now, $ago,
                function ($t) use ($heat, $cop) { return $heat($t) / $cop($t); }),
            'heatpump_heat' => seed_feed($db, $site['id'], 'heatpump_heat', 'heatpump', 'W', $now, $ago, $heat),
            'flowT' => seed_feed($db, $site['id'], 'flowT', 'heatpump', '°C', $now, $ago, $flow),
            'returnT' => seed_feed($db, $site['id'], 'returnT', 'heatpump', '°C', $now, $ago,
                function ($t) use ($flow) { return $flow($t) - 5; }),
            'outsideT' => seed_feed($db, $site['id'], 'outsideT', 'heatpump', '°C', $now, $ago, $outside),
        );
        seed_insert($db, 'input', array('userid', 'nodeid', 'name', 'processList', 'time', 'value'), array(
            array($site['id'], 'emonhp', 'heatpump_elec', '1:' . $site['feeds']['heatpump_elec'], $now - $ago, 0),
            array($site['id'], 'emonhp', 'heatpump_heat', '1:' . $site['feeds']['heatpump_heat'], $now - $ago, 0),
        ));
        seed_member($db, $installs, $site['id'], 0, 'full');
        if ($n <= 12) {
            // The study reads data only: no rights over the households' accounts.
            seed_member($db, $study, $site['id'], 0, 'read');
        }
        $sites[$name] = $site;
    }

    $houses = array();
    for ($n = 1; $n <= 6; $n++) {
        $name = "house$n";
        $house = seed_user($db, $name, $name, array('name' => "House $n", 'location' => 'Llan'));
        $peak = 1500 + 400 * $n;
        $house['feeds'] = array(
            'use' => seed_feed($db, $house['id'], 'use', 'house', 'W', $now, mt_rand(5, 60),
                function ($t) use ($n) { return 300 + 200 * $n + 250 * sin(2 * M_PI * ($t % 86400) / 86400); }),
            'solar' => seed_feed($db, $house['id'], 'solar', 'house', 'W', $now, mt_rand(5, 50),
                function ($t) use ($peak) { return max(0, $peak * sin(M_PI * (($t % 86400) - 21600) / 43200)); }, $n === 1 ? 1 : 0),
        );
        seed_member($db, $village, $house['id'], 3, 'read');
        $houses[$name] = $house;
    }
    seed_commit($db);
    return array('now' => $now, 'logins' => $logins, 'sites' => $sites, 'houses' => $houses,
        'groups' => array('installs' => $installs, 'study' => $study, 'village' => $village));
}

/** An administrator of G groups × M distinct members × F feeds (B-25 tests and the benchmark). */
function seed_bulk(DemoDb $db, $name, $groups, $members, $feeds)
{
    $now = time();
    seed_begin($db);
    $admin = seed_user($db, $name, $name);
    $out = array('admin' => $admin, 'groups' => array(), 'data_feeds' => array(), 'sample_feeds' => array());
    $salt = bin2hex(random_bytes(16));
    $hash = User::hash_password('member', $salt);
    for ($g = 1; $g <= $groups; $g++) {
        $gid = seed_group($db, sprintf('%sG%03d', $name, $g), "bulk-group-$g");
        seed_member($db, $gid, $admin['id'], 1);
        $out['groups'][] = $gid;
        for ($m = 1; $m <= $members; $m++) {
            $username = sprintf('%sg%03dm%03d', $name, $g, $m);
            seed_insert($db, 'users', array('username', 'password', 'salt', 'email', 'apikey_read', 'apikey_write', 'admin', 'access', 'timezone'),
                array(array($username, $hash, $salt, "$username@example.org", bin2hex(random_bytes(16)), bin2hex(random_bytes(16)), 0, 2, 'UTC')));
            $uid = $db->lastId();
            seed_member($db, $gid, $uid, 0);
            $rows = array();
            for ($f = 1; $f <= $feeds; $f++) {
                $rows[] = array($uid, "feed$f", 'bulk', 0, 0, 5, 'W', $now - 60, 100.0 + $f);
            }
            if ($m === 1) {
                // The first member's first feed carries data (a day at 10 minutes).
                $fid = seed_feed($db, $uid, 'feed0', 'bulk', 'W', $now, 60, function ($t) { return 100 + ($t / 600) % 50; }, 0, 86400);
                $out['data_feeds'][] = $fid;
            }
            seed_insert($db, 'feeds', array('userid', 'name', 'tag', 'public', 'size', 'engine', 'unit', 'time', 'value'), $rows);
            if ($m <= 2) {
                foreach ($db->rows('SELECT id FROM feeds WHERE userid = ? ORDER BY id', array($uid)) as $row) {
                    $out['sample_feeds'][] = (int) $row['id'];
                }
            }
        }
    }
    seed_commit($db);
    return $out;
}
