<?php
/*
 * The serial replay of a load run (load.php): a second, fresh emoncms started from the dump of
 * the database taken before the load (DIR/before.sql, imported by the calling script) replays
 * the changes the loaded server accepted, one at a time, in their commit order (the order of
 * their rows in the audit table, which is the order of MariaDB's write lock), each as the same
 * account (login session with its request token, or the same API key). Checks: each replayed
 * change is accepted again with the same answer, writes the same rows (old and new images, in
 * the same order), and the final groups, group_users and users columns the module writes, and
 * the feeds, equal the loaded server's (DIR/final.json).
 *
 *   php replay.php --state=DIR [--counts=FILE]      (EMONCMS_* of the second emoncms)
 */
require __DIR__ . '/common.php';

list($opts) = load_args($argv);
$stateDir = $opts['state'];
$counts = isset($opts['counts']) ? $opts['counts'] : '';
$base = rtrim(load_env('EMONCMS_BASE'), '/');
$run = load_env('EMONCMS_RUN');
$replay = json_decode((string) file_get_contents("$stateDir/replay.json"), true);
$final = json_decode((string) file_get_contents("$stateDir/final.json"), true);
$db = new TestDb();
$serverLogStart = (int) @filesize("$run/server.log");
$emoncmsLogStart = (int) @filesize("$run/log/emoncms.log");
T::ok('the replay has the load\'s accepted changes (' . count($replay) . ')', is_array($replay) && is_array($final));
$auditStart = (int) $db->row('SELECT COALESCE(MAX(seq), 0) AS s FROM eg_load_audit')['s'];
T::eq('the replayed database starts without audit rows (the dump was taken before the load)', $auditStart, 0);

$clients = array();
$clientFor = function ($actor, $auth) use (&$clients, $base) {
    $key = "$actor/$auth";
    if (!isset($clients[$key])) {
        $c = new Client($base);
        if ($auth === 'session') {
            $r = $c->post('user/login.json', array(), array('username' => $actor, 'password' => $actor));
            T::ok("replay: login $actor", !empty($r->json['success']), $r->body);
            $c->get('group/grouplist.json');
        }
        $clients[$key] = $c;
    }
    return $clients[$key];
};
// fullremoveuser's report starts with the time of the deletion: not part of the comparison.
$normal = function ($body) {
    return preg_replace('/^(\{"success":true,"message":"PERMANENT DELETE:\\\\nUser \d+) \d+ [0-9-]+ [0-9:]+/', '$1 T', (string) $body);
};
$answers = 0;
$rowsSame = 0;
$answerDiffs = array();
$rowDiffs = array();
$times = array();
foreach ($replay as $rec) {
    $c = $clientFor($rec['actor'], $rec['auth']);
    list($r, $ms) = timed($c, $rec['m'], $rec['path'], $rec['q'], $rec['p']);
    $times[$rec['route']][] = $ms;
    if ($normal($r->body) === $normal($rec['body'])) {
        $answers++;
    } else {
        $answerDiffs[] = "#$rec[id] $rec[actor] $rec[route] " . load_json($rec['p'] ?: $rec['q']) . "\n  load:   " . substr($rec['body'], 0, 200)
            . "\n  replay: " . substr($r->body, 0, 200);
    }
    $conn = (int) $r->header('x-load-conn');
    $mine = array_map(function ($a) { return array($a['tbl'], $a['op'], $a['old_row'], $a['new_row']); },
        $db->rows('SELECT tbl, op, old_row, new_row FROM eg_load_audit WHERE conn = ? ORDER BY seq', array($conn)));
    $theirs = array_map(function ($a) { return array($a['tbl'], $a['op'], $a['old_row'], $a['new_row']); }, $rec['audit']);
    if ($conn && $mine === $theirs) {
        $rowsSame++;
    } else {
        $rowDiffs[] = "#$rec[id] $rec[route] " . load_json($rec['p'] ?: $rec['q']) . "\n  load:   " . substr(load_json($theirs), 0, 300)
            . "\n  replay: " . substr(load_json($mine), 0, 300);
    }
}
echo latency_table(sprintf('load/replay: %d changes replayed one at a time on a second emoncms %s:', count($replay),
    getenv('EMONCMS_VERSION')), $times);
T::ok("every replayed change answered as under load ($answers of " . count($replay) . ')', !$answerDiffs,
    implode("\n", array_slice($answerDiffs, 0, 6)));
T::ok("every replayed change wrote the same rows in the same order ($rowsSame of " . count($replay) . ')', !$rowDiffs,
    implode("\n", array_slice($rowDiffs, 0, 6)));
$mine = tables_snapshot($db);
$diff = snapshot_diff($final, $mine, 20);
T::ok(sprintf('the final tables equal the serial replay (%d groups, %d memberships, %d users, %d feeds)', count($mine['groups']),
    count($mine['group_users']), count($mine['users']), count($mine['feeds'])), !$diff, implode("\n", $diff));
$php = php_problems(log_lines("$run/server.log", $serverLogStart));
T::ok('replay: no PHP warning, notice or fatal in the server log', !$php, implode("\n", array_slice($php, 0, 10)));
$moduleLines = module_log_lines(log_lines("$run/log/emoncms.log", $emoncmsLogStart));
T::ok('replay: no line of the group module in emoncms.log', !$moduleLines, implode("\n", array_slice($moduleLines, 0, 10)));
load_finish('replay', $counts);
