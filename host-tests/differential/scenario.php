<?php
/*
 * The differential scenario: one fixed sequence of requests to the group module, run once
 * against group 2.0.0 and once against this project's module, each inside a fresh copy of real
 * emoncms seeded identically (scripts/test-differential.sh). This file only talks HTTP; what it
 * records is compared by compare.php.
 *
 *   php scenario.php --base=http://127.0.0.1:PORT/ --out=RUN/record.json
 *
 * 1. seed: accounts through user/register.json + user/login.json, PHPFina feeds through
 *    feed/create.json and feed/insert.json with fixed timestamps (2026-12-01 UTC, hourly), one
 *    feed made public through feed/set.json, inputs through input/post.json with a fixed time and
 *    input/process/set.json (11.x's JSON list, else 10.x's `processid:arg` text). On a fresh
 *    emoncms every id, datapoint and last value is therefore the same in both runs.
 * 2. steps: each one request as one actor (a cookie session per actor, or anonymous), recorded
 *    as status, Content-Type, Location, Content-Disposition and body. No step's request depends
 *    on an earlier answer, so both runs send byte-identical requests.
 *
 * Test infrastructure only; never part of the module.
 */
if (PHP_SAPI !== 'cli') {
    exit(1);
}
error_reporting(E_ALL);
ini_set('display_errors', 'stderr');

$opts = getopt('', array('base:', 'out:'));
if (!isset($opts['base'], $opts['out'])) {
    fwrite(STDERR, "usage: php scenario.php --base=URL --out=FILE\n");
    exit(2);
}
$base = rtrim($opts['base'], '/') . '/';

const T0 = 1796083200; // 2026-12-01 00:00:00 UTC

final class Actor
{
    private $curl;
    private $cookies;
    private $base;
    /** The session's request token, when the module answered one (2.0.0 has none). */
    private $csrf = '';

    public function __construct($base, $anonymous = false)
    {
        $this->base = $base;
        $this->cookies = $anonymous ? null : tempnam(sys_get_temp_dir(), 'emongroups-diff-');
        $this->curl = curl_init();
    }

    public function __destruct()
    {
        if ($this->cookies !== null && is_file($this->cookies)) {
            unlink($this->cookies);
        }
    }

    /** One request, nothing followed: status, headers (lower-case names) and body. */
    public function request($method, $path, array $query = array(), array $post = null)
    {
        $url = $this->base . $path . ($query ? '?' . http_build_query($query) : '');
        $headers = array();
        curl_reset($this->curl);
        $options = array(
            CURLOPT_URL => $url, CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 120,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_HEADERFUNCTION => function ($ch, $line) use (&$headers) {
                $parts = explode(':', $line, 2);
                if (count($parts) === 2) {
                    $headers[strtolower(trim($parts[0]))] = trim($parts[1]);
                    if (strtolower(trim($parts[0])) === 'x-emongroups-csrf') {
                        $this->csrf = trim($parts[1]);
                    }
                }
                return strlen($line);
            },
        );
        if ($this->csrf !== '') {
            // The session's request token, as the module's page sends it.
            $options[CURLOPT_HTTPHEADER] = array('X-Emongroups-Csrf: ' . $this->csrf);
        }
        if ($this->cookies !== null) {
            $options[CURLOPT_COOKIEJAR] = $this->cookies;
            $options[CURLOPT_COOKIEFILE] = $this->cookies;
        }
        if ($method === 'POST') {
            $options[CURLOPT_POST] = true;
            $options[CURLOPT_POSTFIELDS] = http_build_query($post === null ? array() : $post);
        }
        curl_setopt_array($this->curl, $options);
        $body = curl_exec($this->curl);
        if ($body === false) {
            fwrite(STDERR, "scenario: $method $url: " . curl_error($this->curl) . "\n");
            exit(1);
        }
        return array('url' => $url, 'status' => curl_getinfo($this->curl, CURLINFO_RESPONSE_CODE),
            'headers' => $headers, 'body' => $body);
    }

    /** A seed call that must succeed with JSON. */
    public function ok($method, $path, array $query = array(), array $post = null)
    {
        $r = $this->request($method, $path, $query, $post);
        $json = json_decode($r['body'], true);
        if ($r['status'] !== 200 || $json === null || (is_array($json) && isset($json['success']) && $json['success'] === false)) {
            fwrite(STDERR, "seed: $method {$r['url']} answered {$r['status']}: " . substr($r['body'], 0, 300) . "\n");
            exit(1);
        }
        return $json;
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Seed
// ---------------------------------------------------------------------------------------------

$anon = new Actor($base, true);
$actors = array('anon' => $anon);
$ids = array();
// Registration order fixes the ids: admin 1 (the first account is the site administrator),
// alice 2, bob 3, carol 4, dave 5, erin 6, frank 7; createuseraddtogroup later makes newbie 8.
$people = array(
    'admin' => 'Site Admin', 'alice' => 'Alice Admin', 'bob' => 'Bob Member', 'carol' => 'Carol Subadmin',
    'dave' => 'Dave Outsider', 'erin' => 'Erin Extra', 'frank' => 'Frank Removed',
);
foreach ($people as $login => $name) {
    $a = new Actor($base);
    $reg = $a->ok('POST', 'user/register.json', array(), array('username' => $login, 'password' => $login . 'pw',
        'email' => "$login@example.org", 'timezone' => 'UTC'));
    $ids[$login] = (int) $reg['userid'];
    $a->ok('POST', 'user/login.json', array(), array('username' => $login, 'password' => $login . 'pw'));
    $a->request('GET', 'group/grouplist.json');   // the module's request token comes with any group answer
    $a->request('POST', 'user/set.json', array(), array('data' => json_encode(array('name' => $name,
        'location' => 'Town', 'timezone' => 'UTC', 'bio' => "I am $login"))));
    $actors[$login] = $a;
}
$expected = array('admin' => 1, 'alice' => 2, 'bob' => 3, 'carol' => 4, 'dave' => 5, 'erin' => 6, 'frank' => 7);
if ($ids !== $expected) {
    fwrite(STDERR, 'seed: user ids are not those of a fresh emoncms: ' . json_encode($ids) . "\n");
    exit(1);
}

/** A PHPFina feed of 24 hourly points from T0; $fn(i) gives point i's value. */
function diff_feed(Actor $a, $name, $tag, $fn)
{
    $made = $a->ok('GET', 'feed/create.json', array('tag' => $tag, 'name' => $name, 'datatype' => 1, 'engine' => 5,
        'options' => json_encode(array('interval' => 3600)), 'unit' => 'W'));
    $id = (int) $made['feedid'];
    $points = array();
    for ($i = 0; $i < 24; $i++) {
        $points[] = array(T0 + 3600 * $i, $fn($i));
    }
    $a->ok('POST', 'feed/insert.json', array('id' => $id), array('data' => json_encode($points)));
    return $id;
}

$feeds = array(
    'bob_power' => diff_feed($actors['bob'], 'power', 'house', function ($i) { return 100 + 10 * $i; }),
    'bob_temp' => diff_feed($actors['bob'], 'temp', 'house', function ($i) { return 18 + $i / 4; }),
    'carol_power' => diff_feed($actors['carol'], 'power', 'office', function ($i) { return 50 + $i; }),
    'dave_secret' => diff_feed($actors['dave'], 'secret', 'private', function ($i) { return 7; }),
    'frank_power' => diff_feed($actors['frank'], 'power', 'house', function ($i) { return 200 - $i; }),
);
if (array_values($feeds) !== array(1, 2, 3, 4, 5)) {
    fwrite(STDERR, 'seed: feed ids are not those of a fresh emoncms: ' . json_encode($feeds) . "\n");
    exit(1);
}
// bob shares his temperature publicly (anonymous getfeed).
$actors['bob']->ok('GET', 'feed/set.json', array('id' => $feeds['bob_temp'], 'fields' => json_encode(array('public' => 1))));

/** Inputs of a node posted at a fixed time, each input logged to a feed. */
function diff_inputs(Actor $a, $node, array $values, array $logTo)
{
    $a->ok('GET', 'input/post.json', array('node' => $node, 'time' => T0 + 23 * 3600, 'fulljson' => json_encode($values)));
    foreach ($a->ok('GET', 'input/list.json') as $input) {
        if ((string) $input['nodeid'] === $node && isset($logTo[$input['name']])) {
            $r = $a->request('POST', 'input/process/set.json', array('inputid' => $input['id']), array('processlist' =>
                json_encode(array(array('fn' => 'process__log_to_feed', 'args' => array($logTo[$input['name']]))))));
            $json = json_decode($r['body'], true);
            if (empty($json['success'])) {
                $a->ok('POST', 'input/process/set.json', array('inputid' => $input['id']),
                    array('processlist' => '1:' . $logTo[$input['name']]));
            }
        }
    }
}
diff_inputs($actors['bob'], 'bobhouse', array('power' => 330, 'temp' => 23.75), array('power' => $feeds['bob_power']));
diff_inputs($actors['carol'], 'caroloffice', array('power' => 73), array('power' => $feeds['carol_power']));
// dave, erin, frank and the admin have no inputs (inputslist of a member without inputs).

// ---------------------------------------------------------------------------------------------
// 2. Steps: [id, actor, method, route, query, post body]
// ---------------------------------------------------------------------------------------------

$g1 = 1;  // Alpha: alice (admin), bob (0), carol (2), frank (0), admin (0), newbie (0)
$g2 = 2;  // Beta: dave (admin)
$start = T0;
$end = T0 + 24 * 3600;
$profile = array('groupid' => $g1, 'userid' => 3, 'username' => 'bob', 'name' => 'Bob Edited', 'email' => 'bob.new@example.org',
    'bio' => 'edited', 'timezone' => 'Europe/London', 'location' => 'Village', 'role' => 0, 'password' => '',
    'tags' => json_encode(array('system' => 'PV')));

$steps = array(
    // create
    array('create.ok', 'alice', 'GET', 'group/create.json', array('name' => 'Alpha', 'description' => 'First group',
        'organization' => 'Org', 'area' => 'Area', 'visibility' => 'private', 'access' => 'closed')),
    array('create.duplicate', 'alice', 'GET', 'group/create.json', array('name' => 'Alpha', 'description' => 'again')),
    array('create.duplicate-case', 'dave', 'GET', 'group/create.json', array('name' => 'alpha')),
    array('create.anonymous', 'anon', 'GET', 'group/create.json', array('name' => 'Gamma')),
    array('create.second', 'dave', 'GET', 'group/create.json', array('name' => 'Beta', 'description' => 'Daves group',
        'organization' => 'NA', 'area' => 'NA', 'visibility' => 'public', 'access' => 'open')),

    // addmemberauth
    array('addmemberauth.passive', 'alice', 'GET', 'group/addmemberauth.json', array('groupid' => $g1, 'username' => 'bob', 'password' => 'bobpw', 'role' => 0)),
    array('addmemberauth.subadmin', 'alice', 'GET', 'group/addmemberauth.json', array('groupid' => $g1, 'username' => 'carol', 'password' => 'carolpw', 'role' => 2)),
    array('addmemberauth.frank', 'alice', 'GET', 'group/addmemberauth.json', array('groupid' => $g1, 'username' => 'frank', 'password' => 'frankpw', 'role' => 0)),
    array('addmemberauth.siteadmin', 'alice', 'GET', 'group/addmemberauth.json', array('groupid' => $g1, 'username' => 'admin', 'password' => 'adminpw', 'role' => 0)),
    array('addmemberauth.again', 'alice', 'GET', 'group/addmemberauth.json', array('groupid' => $g1, 'username' => 'bob', 'password' => 'bobpw', 'role' => 0)),
    array('addmemberauth.no-group', 'alice', 'GET', 'group/addmemberauth.json', array('groupid' => 99, 'username' => 'dave', 'password' => 'davepw', 'role' => 0)),
    array('addmemberauth.not-admin', 'carol', 'GET', 'group/addmemberauth.json', array('groupid' => $g1, 'username' => 'dave', 'password' => 'davepw', 'role' => 0)),
    array('addmemberauth.not-member', 'erin', 'GET', 'group/addmemberauth.json', array('groupid' => $g1, 'username' => 'dave', 'password' => 'davepw', 'role' => 0)),
    array('addmemberauth.wrong-password', 'alice', 'GET', 'group/addmemberauth.json', array('groupid' => $g1, 'username' => 'dave', 'password' => 'wrong', 'role' => 0)),
    array('addmemberauth.empty-credentials', 'alice', 'GET', 'group/addmemberauth.json', array('groupid' => $g1, 'username' => '', 'password' => '', 'role' => 0)),
    array('addmemberauth.bad-username', 'alice', 'GET', 'group/addmemberauth.json', array('groupid' => $g1, 'username' => 'da-ve', 'password' => 'davepw', 'role' => 0)),
    array('addmemberauth.missing-params', 'alice', 'GET', 'group/addmemberauth.json', array()),
    array('addmemberauth.role-7', 'dave', 'GET', 'group/addmemberauth.json', array('groupid' => $g2, 'username' => 'erin', 'password' => 'erinpw', 'role' => 7)),
    array('addmemberauth.anonymous', 'anon', 'GET', 'group/addmemberauth.json', array('groupid' => $g1, 'username' => 'dave', 'password' => 'davepw', 'role' => 0)),

    // adduserauth (v1): failures here; the success comes at the end so it changes no later list
    array('adduserauth.wrong-password', 'alice', 'GET', 'group/adduserauth.json', array('groupid' => $g1, 'username' => 'erin', 'password' => 'wrong', 'access' => 0)),
    array('adduserauth.not-admin', 'carol', 'GET', 'group/adduserauth.json', array('groupid' => $g1, 'username' => 'erin', 'password' => 'erinpw', 'access' => 0)),
    array('adduserauth.anonymous', 'anon', 'GET', 'group/adduserauth.json', array('groupid' => $g1, 'username' => 'erin', 'password' => 'erinpw', 'access' => 0)),

    // createuseraddtogroup (the UI POSTs it)
    array('createuseraddtogroup.ok', 'alice', 'POST', 'group/createuseraddtogroup.json', array(), array('groupid' => $g1,
        'email' => 'newbie@example.org', 'username' => 'newbie', 'password' => 'newbiepw', 'role' => 0, 'name' => 'New Bie')),
    array('createuseraddtogroup.query-string', 'alice', 'GET', 'group/createuseraddtogroup.json', array('groupid' => $g1,
        'email' => 'newbie@example.org', 'username' => 'newbie', 'password' => 'newbiepw', 'role' => 0, 'name' => 'New Bie')),
    array('createuseraddtogroup.no-group', 'alice', 'POST', 'group/createuseraddtogroup.json', array(), array('groupid' => 99,
        'email' => 'x@example.org', 'username' => 'xavier', 'password' => 'xavierpw', 'role' => 0, 'name' => 'X')),
    array('createuseraddtogroup.not-admin', 'carol', 'POST', 'group/createuseraddtogroup.json', array(), array('groupid' => $g1,
        'email' => 'x@example.org', 'username' => 'xavier', 'password' => 'xavierpw', 'role' => 0, 'name' => 'X')),
    array('createuseraddtogroup.bad-email', 'alice', 'POST', 'group/createuseraddtogroup.json', array(), array('groupid' => $g1,
        'email' => 'not-an-email', 'username' => 'xavier', 'password' => 'xavierpw', 'role' => 0, 'name' => 'X')),
    array('createuseraddtogroup.short-password', 'alice', 'POST', 'group/createuseraddtogroup.json', array(), array('groupid' => $g1,
        'email' => 'x@example.org', 'username' => 'xavier', 'password' => 'x', 'role' => 0, 'name' => 'X')),
    array('createuseraddtogroup.short-username', 'alice', 'POST', 'group/createuseraddtogroup.json', array(), array('groupid' => $g1,
        'email' => 'x@example.org', 'username' => 'xy', 'password' => 'xavierpw', 'role' => 0, 'name' => 'X')),
    array('createuseraddtogroup.missing-params', 'alice', 'POST', 'group/createuseraddtogroup.json', array(), array('groupid' => $g1)),
    array('createuseraddtogroup.anonymous', 'anon', 'POST', 'group/createuseraddtogroup.json', array(), array('groupid' => $g1,
        'email' => 'x@example.org', 'username' => 'xavier', 'password' => 'xavierpw', 'role' => 0, 'name' => 'X')),

    // lists
    array('grouplist.admin', 'alice', 'GET', 'group/grouplist.json'),
    array('grouplist.subadmin', 'carol', 'GET', 'group/grouplist.json'),
    array('grouplist.passive', 'bob', 'GET', 'group/grouplist.json'),
    array('grouplist.role-7', 'erin', 'GET', 'group/grouplist.json'),
    array('grouplist.anonymous', 'anon', 'GET', 'group/grouplist.json'),
    array('userlist.admin', 'alice', 'GET', 'group/userlist.json', array('groupid' => $g1)),
    array('userlist.subadmin', 'carol', 'GET', 'group/userlist.json', array('groupid' => $g1)),
    array('userlist.passive', 'bob', 'GET', 'group/userlist.json', array('groupid' => $g1)),
    array('userlist.not-member', 'dave', 'GET', 'group/userlist.json', array('groupid' => $g1)),
    array('userlist.missing-groupid', 'alice', 'GET', 'group/userlist.json'),
    array('userlist.anonymous', 'anon', 'GET', 'group/userlist.json', array('groupid' => $g1)),
    array('mygroups.admin', 'alice', 'GET', 'group/mygroups.json'),
    array('mygroups.subadmin', 'carol', 'GET', 'group/mygroups.json'),
    array('mygroups.passive', 'bob', 'GET', 'group/mygroups.json'),
    array('mygroups.other-admin', 'dave', 'GET', 'group/mygroups.json'),
    array('mygroups.anonymous', 'anon', 'GET', 'group/mygroups.json'),
    array('getuserfeeds.admin', 'alice', 'GET', 'group/getuserfeeds.json', array('groupid' => $g1, 'userid' => 3)),
    array('getuserfeeds.subadmin', 'carol', 'GET', 'group/getuserfeeds.json', array('groupid' => $g1, 'userid' => 3)),
    array('getuserfeeds.passive', 'bob', 'GET', 'group/getuserfeeds.json', array('groupid' => $g1, 'userid' => 4)),
    array('getuserfeeds.target-not-member', 'alice', 'GET', 'group/getuserfeeds.json', array('groupid' => $g1, 'userid' => 5)),
    array('getuserfeeds.anonymous', 'anon', 'GET', 'group/getuserfeeds.json', array('groupid' => $g1, 'userid' => 3)),
    array('getsessionuserrole.admin', 'alice', 'GET', 'group/getsessionuserrole.json', array('groupid' => $g1)),
    array('getsessionuserrole.subadmin', 'carol', 'GET', 'group/getsessionuserrole.json', array('groupid' => $g1)),
    array('getsessionuserrole.passive', 'bob', 'GET', 'group/getsessionuserrole.json', array('groupid' => $g1)),
    array('getsessionuserrole.not-member', 'dave', 'GET', 'group/getsessionuserrole.json', array('groupid' => $g1)),
    array('getsessionuserrole.missing-groupid', 'alice', 'GET', 'group/getsessionuserrole.json'),
    array('getsessionuserrole.anonymous', 'anon', 'GET', 'group/getsessionuserrole.json', array('groupid' => $g1)),

    // getfeed (times in ms, as group_graph.js sends them)
    array('getfeed.data.admin', 'alice', 'GET', 'group/getfeed/data.json', array('id' => 1, 'start' => $start * 1000, 'end' => $end * 1000, 'interval' => 3600, 'skipmissing' => 0, 'limitinterval' => 0)),
    array('getfeed.data.subadmin', 'carol', 'GET', 'group/getfeed/data.json', array('id' => 1, 'start' => $start * 1000, 'end' => $end * 1000, 'interval' => 7200, 'skipmissing' => 0, 'limitinterval' => 0)),
    array('getfeed.data.skipmissing', 'alice', 'GET', 'group/getfeed/data.json', array('id' => 1, 'start' => $start * 1000, 'end' => $end * 1000, 'interval' => 7200, 'skipmissing' => 1, 'limitinterval' => 1)),
    array('getfeed.data.not-member', 'dave', 'GET', 'group/getfeed/data.json', array('id' => 1, 'start' => $start * 1000, 'end' => $end * 1000, 'interval' => 3600)),
    array('getfeed.data.passive', 'bob', 'GET', 'group/getfeed/data.json', array('id' => 3, 'start' => $start * 1000, 'end' => $end * 1000, 'interval' => 3600)),
    array('getfeed.data.own-feed', 'bob', 'GET', 'group/getfeed/data.json', array('id' => 1, 'start' => $start * 1000, 'end' => $end * 1000, 'interval' => 3600)),
    array('getfeed.data.no-such-feed', 'alice', 'GET', 'group/getfeed/data.json', array('id' => 999, 'start' => $start * 1000, 'end' => $end * 1000, 'interval' => 3600)),
    array('getfeed.data.anonymous-public', 'anon', 'GET', 'group/getfeed/data.json', array('id' => 2, 'start' => $start * 1000, 'end' => $end * 1000, 'interval' => 3600)),
    array('getfeed.data.anonymous-private', 'anon', 'GET', 'group/getfeed/data.json', array('id' => 1, 'start' => $start * 1000, 'end' => $end * 1000, 'interval' => 3600)),
    array('getfeed.average.interval', 'alice', 'GET', 'group/getfeed/average.json', array('id' => 1, 'start' => $start * 1000, 'end' => $end * 1000, 'interval' => 7200)),
    array('getfeed.average.daily', 'alice', 'GET', 'group/getfeed/average.json', array('id' => 1, 'start' => $start * 1000, 'end' => $end * 1000, 'mode' => 'daily')),
    array('getfeed.other-mode', 'alice', 'GET', 'group/getfeed/other.json', array('id' => 1, 'start' => $start * 1000, 'end' => $end * 1000, 'interval' => 3600)),

    // csvexport (times in s)
    array('csvexport.timeformat-0', 'alice', 'GET', 'group/csvexport', array('groupid' => $g1, 'id' => 1, 'start' => $start, 'end' => $end, 'interval' => 3600, 'timeformat' => 0, 'name' => 'bob')),
    array('csvexport.timeformat-1', 'alice', 'GET', 'group/csvexport', array('groupid' => $g1, 'id' => 1, 'start' => $start, 'end' => $end, 'interval' => 3600, 'timeformat' => 1, 'name' => 'bob')),
    array('csvexport.multi', 'carol', 'GET', 'group/csvexport', array('groupid' => $g1, 'id' => '1,3', 'start' => $start, 'end' => $start + 6 * 3600, 'interval' => 3600, 'timeformat' => 0, 'name' => 'two feeds')),
    array('csvexport.multi-foreign-feed', 'alice', 'GET', 'group/csvexport', array('groupid' => $g1, 'id' => '1,4', 'start' => $start, 'end' => $start + 6 * 3600, 'interval' => 3600, 'timeformat' => 0, 'name' => 'x')),
    array('csvexport.foreign-feed', 'alice', 'GET', 'group/csvexport', array('groupid' => $g1, 'id' => 4, 'start' => $start, 'end' => $end, 'interval' => 3600, 'timeformat' => 0, 'name' => 'x')),
    array('csvexport.passive', 'bob', 'GET', 'group/csvexport', array('groupid' => $g1, 'id' => 1, 'start' => $start, 'end' => $end, 'interval' => 3600, 'timeformat' => 0, 'name' => 'x')),
    array('csvexport.not-member', 'dave', 'GET', 'group/csvexport', array('groupid' => $g1, 'id' => 1, 'start' => $start, 'end' => $end, 'interval' => 3600, 'timeformat' => 0, 'name' => 'x')),
    array('csvexport.anonymous', 'anon', 'GET', 'group/csvexport', array('groupid' => $g1, 'id' => 1, 'start' => $start, 'end' => $end, 'interval' => 3600, 'timeformat' => 0, 'name' => 'x')),

    // impersonation: setuser, what the impersonated session sees, logasprevioususer
    array('setuser.not-admin', 'carol', 'GET', 'group/setuser', array('groupid' => $g1, 'userid' => 3)),
    array('setuser.not-member', 'alice', 'GET', 'group/setuser', array('groupid' => $g1, 'userid' => 5)),
    array('setuser.site-admin', 'alice', 'GET', 'group/setuser', array('groupid' => $g1, 'userid' => 1)),
    array('setuser.anonymous', 'anon', 'GET', 'group/setuser', array('groupid' => $g1, 'userid' => 3)),
    array('logasprevioususer.not-impersonating', 'alice', 'GET', 'group/logasprevioususer'),
    array('setuser.subadmin', 'alice', 'GET', 'group/setuser', array('groupid' => $g1, 'userid' => 4)),
    array('setuser.subadmin.role-after', 'alice', 'GET', 'group/getsessionuserrole.json', array('groupid' => $g1)),
    array('setuser.subadmin.log-back', 'alice', 'GET', 'group/logasprevioususer'),
    array('setuser.ok', 'alice', 'GET', 'group/setuser', array('groupid' => $g1, 'userid' => 3)),
    array('setuser.ok.role-after', 'alice', 'GET', 'group/getsessionuserrole.json', array('groupid' => $g1)),
    array('setuser.ok.grouplist-after', 'alice', 'GET', 'group/grouplist.json'),
    array('setuser.ok.log-back', 'alice', 'GET', 'group/logasprevioususer'),
    array('setuser.ok.role-back', 'alice', 'GET', 'group/getsessionuserrole.json', array('groupid' => $g1)),
    array('logasprevioususer.anonymous', 'anon', 'GET', 'group/logasprevioususer'),

    // setuserinfo (POST body)
    array('setuserinfo.ok', 'alice', 'POST', 'group/setuserinfo.json', array(), $profile),
    array('setuserinfo.userlist-after', 'alice', 'GET', 'group/userlist.json', array('groupid' => $g1)),
    array('setuserinfo.query-string', 'alice', 'GET', 'group/setuserinfo.json', $profile),
    array('setuserinfo.not-admin', 'carol', 'POST', 'group/setuserinfo.json', array(), $profile),
    array('setuserinfo.target-not-member', 'alice', 'POST', 'group/setuserinfo.json', array(), array('userid' => 5) + $profile),
    array('setuserinfo.role-7', 'alice', 'POST', 'group/setuserinfo.json', array(), array('userid' => 7, 'username' => 'frank',
        'email' => 'frank@example.org', 'name' => 'Frank Removed', 'bio' => '', 'location' => 'Town', 'role' => 7) + $profile),
    array('setuserinfo.anonymous', 'anon', 'POST', 'group/setuserinfo.json', array(), $profile),

    // removeuser
    array('removeuser.self', 'alice', 'GET', 'group/removeuser.json', array('groupid' => $g1, 'userid' => 2)),
    array('removeuser.not-admin', 'carol', 'GET', 'group/removeuser.json', array('groupid' => $g1, 'userid' => 3)),
    array('removeuser.target-not-member', 'alice', 'GET', 'group/removeuser.json', array('groupid' => $g1, 'userid' => 5)),
    array('removeuser.ok', 'alice', 'GET', 'group/removeuser.json', array('groupid' => $g1, 'userid' => 8)),
    array('removeuser.again', 'alice', 'GET', 'group/removeuser.json', array('groupid' => $g1, 'userid' => 8)),
    array('removeuser.anonymous', 'anon', 'GET', 'group/removeuser.json', array('groupid' => $g1, 'userid' => 3)),

    // fullremoveuser
    array('fullremoveuser.self', 'alice', 'GET', 'group/fullremoveuser.json', array('groupid' => $g1, 'userid' => 2)),
    array('fullremoveuser.not-admin', 'carol', 'GET', 'group/fullremoveuser.json', array('groupid' => $g1, 'userid' => 7)),
    array('fullremoveuser.target-not-member', 'alice', 'GET', 'group/fullremoveuser.json', array('groupid' => $g1, 'userid' => 5)),
    array('fullremoveuser.site-admin', 'alice', 'GET', 'group/fullremoveuser.json', array('groupid' => $g1, 'userid' => 1)),
    array('fullremoveuser.ok', 'alice', 'GET', 'group/fullremoveuser.json', array('groupid' => $g1, 'userid' => 7)),
    array('fullremoveuser.userlist-after', 'alice', 'GET', 'group/userlist.json', array('groupid' => $g1)),
    array('fullremoveuser.anonymous', 'anon', 'GET', 'group/fullremoveuser.json', array('groupid' => $g1, 'userid' => 3)),

    // adduserauth succeeding, then the group goes
    array('adduserauth.ok', 'alice', 'GET', 'group/adduserauth.json', array('groupid' => $g1, 'username' => 'erin', 'password' => 'erinpw', 'access' => 1)),
    array('adduserauth.grouplist-after', 'erin', 'GET', 'group/grouplist.json'),

    // delete
    array('delete.not-admin', 'carol', 'GET', 'group/delete.json', array('groupid' => $g1)),
    array('delete.no-group', 'alice', 'GET', 'group/delete.json', array('groupid' => 99)),
    array('delete.anonymous', 'anon', 'GET', 'group/delete.json', array('groupid' => $g1)),
    array('delete.ok', 'alice', 'GET', 'group/delete.json', array('groupid' => $g1)),
    array('delete.grouplist-after', 'carol', 'GET', 'group/grouplist.json'),
    array('delete.again', 'alice', 'GET', 'group/delete.json', array('groupid' => $g1)),

    // deleteallgroupsfromuser
    array('deleteallgroupsfromuser.anonymous', 'anon', 'GET', 'group/deleteallgroupsfromuser.json'),
    array('deleteallgroupsfromuser.ok', 'dave', 'GET', 'group/deleteallgroupsfromuser.json'),
    array('deleteallgroupsfromuser.grouplist-after', 'dave', 'GET', 'group/grouplist.json'),
    array('deleteallgroupsfromuser.none', 'bob', 'GET', 'group/deleteallgroupsfromuser.json'),
);

$record = array('base' => $base, 'started' => time(), 'steps' => array());
$seen = array();
foreach ($steps as $step) {
    list($id, $who, $method, $route) = $step;
    if (isset($seen[$id])) {
        fwrite(STDERR, "scenario: step $id twice\n");
        exit(2);
    }
    $seen[$id] = true;
    $query = isset($step[4]) ? $step[4] : array();
    $post = isset($step[5]) ? $step[5] : null;
    $r = $actors[$who]->request($method, $route, $query, $post);
    $h = $r['headers'];
    $record['steps'][] = array(
        'id' => $id, 'actor' => $who, 'request' => "$method " . substr($r['url'], strlen($base) - 1)
            . ($post !== null ? ' body ' . http_build_query($post) : ''),
        'status' => $r['status'],
        'content_type' => isset($h['content-type']) ? $h['content-type'] : null,
        'location' => isset($h['location']) ? $h['location'] : null,
        'disposition' => isset($h['content-disposition']) ? $h['content-disposition'] : null,
        'body' => $r['body'],
    );
}
file_put_contents($opts['out'], json_encode($record, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
    | JSON_INVALID_UTF8_SUBSTITUTE));
fwrite(STDERR, 'scenario: ' . count($record['steps']) . " steps recorded\n");
