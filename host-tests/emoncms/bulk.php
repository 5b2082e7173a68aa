<?php
/*
 * Seeds a large emoncms for the module's benchmark (scripts/bench-module.sh) through emoncms's own
 * models, not HTTP: 2,500 accounts and 50,000 feeds through user/register.json and
 * feed/create.json would take far too long. It runs as a PHP CLI inside the copied emoncms tree,
 * bootstrapped the way index.php does it (process_settings.php, mysqli, Redis), and calls
 *   User::register           every account (the first one is the site administrator),
 *   Feed::create             every PHPFina feed (a row in `feeds`, Redis user:feeds/feed:<id>, a .meta file),
 *   Feed::post_multiple      a day of data (11.x; 10.2.7 has no post_multiple: Feed::insert_data per point),
 *   Input::create_input      each member's inputs, Input::set_timevalue their last value.
 * The groups and memberships are written into `groups` and `group_users` by SQL, the rows an
 * existing group 2.0.0 installation has (administrator role 1, members role 0, admin_rights full).
 *
 *   cd $EMONCMS_WWW && php bulk.php --out=FILE [--groups=50] [--members=50] [--feeds=20]
 *                                   [--inputs=2] [--data-groups=5]
 *
 * State: `admin` (site administrator, in no group), `groupadmin` (administrator of every group),
 * groups bench01..benchNN each with --members distinct members (mNNNN), each member with --feeds
 * PHPFina feeds (interval 600 s) and --inputs inputs on node `emon`. The members of the first
 * --data-groups groups have a day of data (144 points ending now) on their first two feeds; every
 * other feed has one point now (its last value, as a live site's feeds have).
 * Writes a JSON summary (ids, API keys, the feeds with data) to --out.
 */
if (PHP_SAPI !== 'cli') {
    exit(1);
}
error_reporting(E_ALL);
ini_set('display_errors', 'stderr');

$opts = getopt('', array('out:', 'groups:', 'members:', 'feeds:', 'inputs:', 'data-groups:'));
$out = isset($opts['out']) ? $opts['out'] : 'bulk.json';
$ngroups = isset($opts['groups']) ? (int) $opts['groups'] : 50;
$nmembers = isset($opts['members']) ? (int) $opts['members'] : 50;
$nfeeds = isset($opts['feeds']) ? (int) $opts['feeds'] : 20;
$ninputs = isset($opts['inputs']) ? (int) $opts['inputs'] : 2;
$ndatagroups = isset($opts['data-groups']) ? (int) $opts['data-groups'] : 5;
if (!is_file('process_settings.php') || !is_dir('Modules/feed')) {
    fwrite(STDERR, "bulk.php runs inside an emoncms tree (cd \$EMONCMS_WWW)\n");
    exit(2);
}

// The bootstrap of index.php, without the request.
require __DIR__ . '/bootstrap.php';
require 'core.php';
if (is_file('locale.php')) {
    require 'locale.php';
}
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);

require 'Modules/user/user_model.php';
require 'Modules/feed/feed_model.php';
require 'Modules/input/input_model.php';
$user = new User($mysqli, $redis);
$feed = new Feed($mysqli, $redis, $settings['feed']);
$input = new Input($mysqli, $redis, $feed);
// 10.x: create($userid, $tag, $name, $datatype, $engine, $options); 11.x dropped $datatype.
$createTakesDatatype = (new ReflectionMethod('Feed', 'create'))->getNumberOfParameters() >= 7;

function bulk_fail($what, $answer)
{
    fwrite(STDERR, "bulk: $what: " . json_encode($answer) . "\n");
    exit(1);
}

function bulk_user(User $user, $username)
{
    $answer = $user->register($username, $username . 'pw', "$username@example.org", 'Europe/London');
    if (empty($answer['success'])) {
        bulk_fail("register $username", $answer);
    }
    $id = (int) $answer['userid'];
    $keys = $GLOBALS['mysqli']->query("SELECT apikey_read, apikey_write FROM users WHERE id = $id")->fetch_assoc();
    return array('id' => $id, 'username' => $username, 'password' => $username . 'pw',
        'apikey_read' => $keys['apikey_read'], 'apikey_write' => $keys['apikey_write']);
}

function bulk_feed(Feed $feed, $userid, $tag, $name, $withDatatype)
{
    $options = (object) array('interval' => 600);
    $answer = $withDatatype
        ? $feed->create($userid, $tag, $name, 1, 5, $options, 'W')
        : $feed->create($userid, $tag, $name, 5, $options, 'W');
    if (empty($answer['success'])) {
        bulk_fail("feed $name of $userid", $answer);
    }
    return (int) $answer['feedid'];
}

$t0 = microtime(true);
$now = time();
$last = $now - $now % 600;
// emoncms's `feeds` has no index on userid, so Feed::create's exists_tag_name() scans the whole
// table: 50,000 creates would cost O(n²) (409 s measured). A temporary index makes the seed
// linear; it is dropped at the end, so the benchmark runs on emoncms's own schema.
$mysqli->query('ALTER TABLE feeds ADD INDEX bulk_seed_userid (userid)');
$admin = bulk_user($user, 'admin');
$groupadmin = bulk_user($user, 'groupadmin');
$names = array('use', 'solar', 'import', 'export', 'heatpump_elec', 'heatpump_heat', 'flowT', 'returnT', 'outsideT', 'roomT');

$groups = array();
$dataFeeds = array();
$nusers = 0;
$nfeedsMade = 0;
$npoints = 0;
$groupStmt = $mysqli->prepare('INSERT INTO `groups` (name, description, organization, area, visibility, access) VALUES (?, ?, ?, ?, ?, ?)');
$memberStmt = $mysqli->prepare('INSERT INTO group_users (groupid, userid, role, admin_rights) VALUES (?, ?, ?, ?)');
for ($g = 1; $g <= $ngroups; $g++) {
    $gname = sprintf('bench%02d', $g);
    $desc = "Benchmark group $g";
    $org = 'BenchOrg';
    $area = 'Wales';
    $vis = 'private';
    $acc = 'closed';
    $groupStmt->bind_param('ssssss', $gname, $desc, $org, $area, $vis, $acc);
    $groupStmt->execute();
    $gid = (int) $mysqli->insert_id;
    $role = 1;
    $rights = 'full';
    $memberStmt->bind_param('iiis', $gid, $groupadmin['id'], $role, $rights);
    $memberStmt->execute();
    $members = array();
    for ($m = 1; $m <= $nmembers; $m++) {
        $u = bulk_user($user, sprintf('m%04d', ($g - 1) * $nmembers + $m));
        $nusers++;
        $feeds = array();
        for ($f = 0; $f < $nfeeds; $f++) {
            $name = $names[$f % count($names)] . ($f >= count($names) ? (string) intdiv($f, count($names)) : '');
            $feeds[] = bulk_feed($feed, $u['id'], 'bench', $name, $createTakesDatatype);
            $nfeedsMade++;
        }
        for ($i = 0; $i < $ninputs; $i++) {
            $iid = $input->create_input($u['id'], 'emon', $names[$i % count($names)]);
            if (!$iid) {
                bulk_fail("input $i of {$u['id']}", false);
            }
            $input->set_timevalue($iid, $last, 100 + $i);
        }
        // The first two feeds of the first --data-groups groups get a day of data.
        $withDay = $g <= $ndatagroups ? array_slice($feeds, 0, 2) : array();
        foreach ($withDay as $k => $fid) {
            $points = array();
            for ($t = $last - 86400 + 600; $t <= $last; $t += 600) {
                $points[] = array($t, round(500 + 400 * sin(2 * M_PI * ($t % 86400) / 86400) + 37 * $k + $m, 1));
            }
            if (method_exists($feed, 'post_multiple')) {
                $answer = $feed->post_multiple($fid, $points);
                if (empty($answer['success'])) {
                    bulk_fail("data of $fid", $answer);
                }
            } else {
                foreach ($points as $p) {
                    $feed->insert_data($fid, $p[0], $p[0], $p[1]);
                }
            }
            $npoints += count($points);
            $dataFeeds[] = $fid;
        }
        // Every other feed of a live site has a last value: one point now, through the model as
        // input processing writes it (a feed never written would send Feed::get_user_feeds to its
        // data file on every listing, in emoncms and in group 2.0.0 alike).
        foreach (array_slice($feeds, count($withDay), null, true) as $k => $fid) {
            $v = 100 + $k + $m;
            if (method_exists($feed, 'post')) {
                $feed->post($fid, $last, $last, $v);
            } else {
                $feed->insert_data($fid, $last, $last, $v);
            }
            $npoints++;
        }
        $u['feeds'] = $feeds;
        $members[] = $u;
        $role = 0;
        $memberStmt->bind_param('iiis', $gid, $u['id'], $role, $rights);
        $memberStmt->execute();
    }
    $groups[] = array('id' => $gid, 'name' => $gname, 'members' => $members);
    if ($g % 10 === 0) {
        fwrite(STDERR, sprintf("bulk: %d groups, %d users, %d feeds, %.1f s\n", $g, $nusers, $nfeedsMade, microtime(true) - $t0));
    }
}
$mysqli->query('ALTER TABLE feeds DROP INDEX bulk_seed_userid');

$summary = array('now' => $now, 'admin' => $admin, 'groupadmin' => $groupadmin, 'groups' => $groups,
    'data_feeds' => $dataFeeds, 'counts' => array('groups' => $ngroups, 'members' => $nusers, 'feeds' => $nfeedsMade,
    'inputs' => $nusers * $ninputs, 'points' => $npoints), 'seconds' => round(microtime(true) - $t0, 1));
file_put_contents($out, json_encode($summary, JSON_UNESCAPED_SLASHES));
fwrite(STDERR, sprintf("bulk: %d groups, %d members, %d feeds, %d inputs, %d points in %.1f s\n",
    $ngroups, $nusers, $nfeedsMade, $nusers * $ninputs, $npoints, microtime(true) - $t0));
