<?php
/*
 * The measuring half of scripts/bench-module.sh: requests to a running emoncms seeded by
 * bulk.php, their medians, and the SQL statements and Redis commands one request of each route
 * costs emoncms as a whole.
 *
 *   php bench.php --base=URL --bulk=RUN/bulk.json [--rounds=15] [--warmup=3]
 *   (environment: EMONCMS_MYSQL_PORT/USER/PASSWORD/DATABASE, EMONCMS_REDIS_PORT, EMONCMS_VERSION,
 *    BENCH_NO_TARGETS=1 to report missed targets without failing)
 *
 * Client: PHP's curl, one request at a time, one handle per caller (kept-alive connections when
 * the server allows them); a request's time is curl's CURLINFO_TOTAL_TIME, i.e. the whole
 * emoncms request as the caller waits for it. Authentication: each caller's read API key in the
 * query (apikey=…), as a script or dashboard calls emoncms; no cookie session, so requests never
 * wait on PHP's session lock. After --warmup requests of every route, --rounds rounds of getfeed
 * and the floor back to back (in turn first, so a noisy moment hits both alike), then --rounds
 * rounds of userlist and mygroups; the median of each route's --rounds times is reported.
 *
 * Counts, for one request on a quiet server (nothing else in flight: this client is the only
 * one, and MariaDB and Redis are the run's own): MariaDB `SHOW GLOBAL STATUS` Questions (every
 * statement a client sent, prepared executions included) and Com_select, Redis `INFO stats`
 * total_commands_processed, each as the difference around the request minus what the probes
 * themselves add (measured by probing twice with no request between).
 */
if (PHP_SAPI !== 'cli') {
    exit(1);
}
error_reporting(E_ALL);
ini_set('display_errors', 'stderr');

$opts = getopt('', array('base:', 'bulk:', 'rounds:', 'warmup:'));
$base = rtrim($opts['base'], '/') . '/';
$bulk = json_decode((string) file_get_contents($opts['bulk']), true);
$rounds = isset($opts['rounds']) ? max(1, (int) $opts['rounds']) : 15;
$warmup = isset($opts['warmup']) ? max(0, (int) $opts['warmup']) : 3;
$version = getenv('EMONCMS_VERSION') ?: 'unknown';
$enforce = getenv('BENCH_NO_TARGETS') !== '1';

$passed = 0;
$failed = 0;
function check($ok, $what)
{
    global $passed, $failed;
    if ($ok) {
        $passed++;
    } else {
        $failed++;
        echo "FAIL bench/module $what\n";
    }
    return $ok;
}

final class Caller
{
    private $curl;

    public function __construct()
    {
        $this->curl = curl_init();
        curl_setopt_array($this->curl, array(CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 120,
            CURLOPT_HTTPGET => true, CURLOPT_ENCODING => null));
    }

    /** [status, body, seconds, bytes] */
    public function get($url)
    {
        curl_setopt($this->curl, CURLOPT_URL, $url);
        $body = curl_exec($this->curl);
        return array(curl_getinfo($this->curl, CURLINFO_RESPONSE_CODE), (string) $body,
            curl_getinfo($this->curl, CURLINFO_TOTAL_TIME), (int) curl_getinfo($this->curl, CURLINFO_SIZE_DOWNLOAD));
    }
}

// The probes: one MariaDB connection and one Redis connection of their own.
$db = new mysqli('127.0.0.1', getenv('EMONCMS_MYSQL_USER'), getenv('EMONCMS_MYSQL_PASSWORD'),
    getenv('EMONCMS_MYSQL_DATABASE'), (int) getenv('EMONCMS_MYSQL_PORT'));
$redis = new Redis();
$redis->connect('127.0.0.1', (int) getenv('EMONCMS_REDIS_PORT'));

function probe()
{
    global $db, $redis;
    $s = array();
    $rows = $db->query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_select')");
    while ($r = $rows->fetch_row()) {
        $s[$r[0]] = (int) $r[1];
    }
    $s['redis'] = (int) $redis->info('stats')['total_commands_processed'];
    return $s;
}

/**
 * Waits until emoncms's MariaDB connection of the last request has ended: a thread's counters
 * reach the global ones as it ends, which can be after the HTTP answer. Answers how many
 * statements the waiting sent on the probe connection (each is one Question).
 */
function quiet($threads)
{
    global $db;
    for ($n = 1; $n <= 500; $n++) {
        $now = (int) $db->query("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'THREADS_CONNECTED'")->fetch_row()[0];
        if ($now <= $threads) {
            return $n;
        }
        usleep(2000);
    }
    check(false, 'emoncms closed its MariaDB connection within a second of answering');
    return $n - 1;
}

function delta(array $a, array $b)
{
    return array('sql' => $b['Questions'] - $a['Questions'], 'select' => $b['Com_select'] - $a['Com_select'],
        'redis' => $b['redis'] - $a['redis']);
}

$admin = $bulk['groupadmin'];
$group = $bulk['groups'][0];
$member = $group['members'][0];
$feedid = $member['feeds'][0];
check(in_array($feedid, $bulk['data_feeds'], true), "the measured feed $feedid has data");
$end = ((int) $bulk['now'] - (int) $bulk['now'] % 3600) * 1000;
// skipmissing and limitinterval explicit: feed/data.json defaults them to 1 on 10.x and to 0 on
// 11.x, group getfeed (2.0.0's and ours) to 0 on both.
$query = array('id' => $feedid, 'start' => $end - 86400000, 'end' => $end, 'interval' => 3600, 'skipmissing' => 0, 'limitinterval' => 0);

$adminCaller = new Caller();
$ownerCaller = new Caller();
$routes = array(
    'group/getfeed/data.json' => array($adminCaller, $base . 'group/getfeed/data.json?' . http_build_query($query + array('apikey' => $admin['apikey_read']))),
    'feed/data.json' => array($ownerCaller, $base . 'feed/data.json?' . http_build_query($query + array('apikey' => $member['apikey_read']))),
    'group/userlist.json' => array($adminCaller, $base . 'group/userlist.json?' . http_build_query(array('groupid' => $group['id'], 'apikey' => $admin['apikey_read']))),
    'group/mygroups.json' => array($adminCaller, $base . 'group/mygroups.json?' . http_build_query(array('apikey' => $admin['apikey_read']))),
);

// What a person would see: the right answers, before any of them is timed.
$answers = array();
foreach ($routes as $name => $r) {
    list($status, $body) = $r[0]->get($r[1]);
    check($status === 200, "$name answers 200 (got $status: " . substr($body, 0, 200) . ')');
    $answers[$name] = $body;
}
$data = json_decode($answers['feed/data.json'], true);
$values = is_array($data) ? array_filter(array_column($data, 1), function ($v) { return $v !== null; }) : array();
check(is_array($data) && count($data) >= 24 && count($values) >= 23,
    'feed/data.json gives a day of hourly values to the owner (' . substr($answers['feed/data.json'], 0, 120) . ')');
check($answers['group/getfeed/data.json'] === $answers['feed/data.json'],
    'group/getfeed/data.json gives the administrator exactly what feed/data.json gives the owner (getfeed '
    . substr($answers['group/getfeed/data.json'], 0, 160) . ' floor ' . substr($answers['feed/data.json'], 0, 160) . ')');
$userlistOk = function ($list, $members) use ($admin) {
    if (!is_array($list) || !isset($list[0])) {
        return false;
    }
    $names = array();
    foreach ($list as $u) {
        if ($u['username'] === $admin['username']) {
            if ((int) $u['role'] !== 1) {
                return false;
            }
            continue;
        }
        if ((int) $u['role'] !== 0 || (int) $u['totalfeeds'] !== count($members[0]['feeds']) || count($u['feedslist']) !== (int) $u['totalfeeds']) {
            return false;
        }
        $names[] = $u['username'];
    }
    $want = array_column($members, 'username');
    sort($names);
    sort($want);
    return $names === $want;
};
check($userlistOk(json_decode($answers['group/userlist.json'], true), $group['members']),
    'group/userlist.json lists the administrator and the group\'s ' . count($group['members']) . ' members with their feeds ('
    . substr($answers['group/userlist.json'], 0, 160) . ')');
$mygroups = json_decode($answers['group/mygroups.json'], true);
$byId = array();
foreach ($bulk['groups'] as $g) {
    $byId[(int) $g['id']] = $g;
}
$mygroupsOk = is_array($mygroups) && count($mygroups) === count($bulk['groups']);
if ($mygroupsOk) {
    foreach ($mygroups as $g) {
        $id = (int) $g['groupid'];
        if (!isset($byId[$id]) || $g['name'] !== $byId[$id]['name'] || (int) $g['role'] !== 1
            || !$userlistOk($g['users'], $byId[$id]['members'])) {
            $mygroupsOk = false;
            break;
        }
    }
}
check($mygroupsOk, 'group/mygroups.json gives all ' . count($bulk['groups']) . ' groups, each with its members ('
    . substr($answers['group/mygroups.json'], 0, 160) . ')');
if ($failed > 0) {
    echo "bench/emoncms-$version: $passed passed, $failed failed\n";
    exit(1);
}

// Warm-up, then the rounds.
for ($i = 0; $i < $warmup; $i++) {
    foreach ($routes as $r) {
        $r[0]->get($r[1]);
    }
}
// getfeed and its floor are timed as pairs, in turn first, in rounds of their own: a request
// right after a 7 MB mygroups finds the worker's memory just given back (measured: +2 ms on
// whichever route comes next), which is no cost of that route.
$times = array_fill_keys(array_keys($routes), array());
$timed = function ($name) use ($routes, $answers, &$times) {
    list($status, $body, $seconds) = $routes[$name][0]->get($routes[$name][1]);
    if ($status !== 200 || $body !== $answers[$name]) {
        check(false, "$name changed its answer during the rounds ($status)");
    }
    $times[$name][] = $seconds * 1000;
};
for ($i = 0; $i < $rounds; $i++) {
    $pair = array('group/getfeed/data.json', 'feed/data.json');
    foreach ($i % 2 ? array_reverse($pair) : $pair as $name) {
        $timed($name);
    }
}
for ($i = 0; $i < $rounds; $i++) {
    foreach (array('group/userlist.json', 'group/mygroups.json') as $name) {
        $timed($name);
    }
}

function median(array $xs)
{
    sort($xs);
    $n = count($xs);
    return $n % 2 ? $xs[intdiv($n, 2)] : ($xs[$n / 2 - 1] + $xs[$n / 2]) / 2;
}

// Counts on the quiet server: the probes' own cost first, then each route 5 times. A worker of
// PHP's server caches a little per process (the module's SHOW COLUMNS FROM users, once), so
// the first request a worker serves may cost a statement more: the count reported is the one a
// warm worker gives, the most frequent of the 5, which must be at least 3 of them. The waiting
// for emoncms's connection to end is a SELECT on the probe connection: one Question and one
// Com_select each, taken off too.
$threads = (int) $db->query("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'THREADS_CONNECTED'")->fetch_row()[0];
$p0 = probe();
$p1 = probe();
$probeCost = delta($p0, $p1);
$counts = array();
$seenAll = array();
foreach ($routes as $name => $r) {
    $seen = array();
    for ($k = 0; $k < 5; $k++) {
        quiet($threads);
        $a = probe();
        list(, , , $bytes) = $r[0]->get($r[1]);
        $polls = quiet($threads);
        $b = probe();
        $d = delta($a, $b);
        $seen[] = json_encode(array('sql' => $d['sql'] - $probeCost['sql'] - $polls, 'select' => $d['select'] - $probeCost['select'] - $polls,
            'redis' => $d['redis'] - $probeCost['redis'], 'bytes' => $bytes));
    }
    $freq = array_count_values($seen);
    arsort($freq);
    $mode = key($freq);
    check(current($freq) >= 3, "$name costs the same on a quiet server in at least 3 of 5 requests (" . implode(' ', $seen) . ')');
    $counts[$name] = json_decode($mode, true);
    $seenAll[$name] = array_keys($freq);
}

$medians = array();
foreach ($routes as $name => $r) {
    $medians[$name] = median($times[$name]);
    $c = $counts[$name];
    printf("bench/module %s: median %.1f ms (n=%d), %d SQL, %d Redis, %d bytes\n", $name, $medians[$name],
        count($times[$name]), $c['sql'], $c['redis'], $c['bytes']);
}
foreach ($routes as $name => $r) {
    sort($times[$name]);
    printf("bench/module detail %s: min %.1f ms, max %.1f ms, %d SELECT of the %d SQL; counts seen %s\n", $name,
        $times[$name][0], end($times[$name]), $counts[$name]['select'], $counts[$name]['sql'], implode(' ', $seenAll[$name]));
}

$targets = array(
    array('getfeed/floor', $medians['group/getfeed/data.json'] / $medians['feed/data.json'], 1.2, '%.2f', '×'),
    array('userlist', $medians['group/userlist.json'], 15, '%.1f', ' ms'),
    array('mygroups', $medians['group/mygroups.json'], 150, '%.1f', ' ms'),
);
foreach ($targets as $t) {
    list($what, $value, $limit, $fmt, $unit) = $t;
    $met = $value <= $limit;
    printf("bench/module target %s: " . $fmt . "%s (target <= %s%s) %s\n", $what, $value, $unit, $limit, $unit,
        $met ? 'met' : ($enforce ? 'MISSED' : 'missed (BENCH_NO_TARGETS=1: not enforced)'));
    if ($enforce) {
        check($met, "target $what");
    }
}
echo "bench/emoncms-$version: $passed passed, $failed failed\n";
exit($failed > 0 ? 1 : 0);
