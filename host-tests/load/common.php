<?php
/*
 * Shared by the load and fault tests (load.php, replay.php, kill.php): the run's environment,
 * timed HTTP requests, the documented answer shape of every group route, percentiles, the
 * test-only audit triggers and snapshots of the tables the group module writes.
 *
 * Environment (host-tests/emoncms/env.sh's emoncms_up): EMONCMS_BASE, EMONCMS_RUN,
 * EMONCMS_VERSION, EMONCMS_MYSQL_PORT/USER/PASSWORD/DATABASE.
 */
require __DIR__ . '/../module/lib.php';

error_reporting(E_ALL);
ini_set('display_errors', 'stderr');

function load_env($name)
{
    $v = getenv($name);
    if ($v === false || $v === '') {
        fwrite(STDERR, "load: $name is not set (source host-tests/emoncms/env.sh and run emoncms_up first)\n");
        exit(2);
    }
    return $v;
}

/** --name=value options and the other arguments of the command line (in any order). */
function load_args(array $argv)
{
    $opts = array();
    $rest = array();
    foreach (array_slice($argv, 1) as $a) {
        if (preg_match('/^--([a-z-]+)=(.*)$/s', $a, $m)) {
            $opts[$m[1]] = $m[2];
        } else {
            $rest[] = $a;
        }
    }
    return array($opts, $rest);
}

/** Appends this phase's counts to the run's tally and prints its closing line. */
function load_finish($phase, $countsFile)
{
    echo "load/$phase: " . T::$passed . ' passed, ' . T::$failed . " failed\n";
    if ($countsFile !== '') {
        file_put_contents($countsFile, T::$passed . ' ' . T::$failed . "\n", FILE_APPEND);
    }
    exit(T::$failed ? 1 : 0);
}

function load_json($value)
{
    return json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
}

/** p-th percentile (nearest rank) of a list of numbers. */
function percentile(array $values, $p)
{
    if (!$values) {
        return 0.0;
    }
    sort($values);
    $rank = (int) ceil($p / 100 * count($values));
    return $values[max(0, min(count($values) - 1, $rank - 1))];
}

/** A table of per-route request counts and p50/p99 latencies (ms). $times: route => [ms, …]. */
function latency_table($title, array $times)
{
    ksort($times);
    $lines = array(sprintf('%s', $title), sprintf('  %-26s %7s %9s %9s %9s', 'route', 'requests', 'p50 ms', 'p99 ms', 'max ms'));
    $all = array();
    foreach ($times as $route => $ms) {
        $all = array_merge($all, $ms);
        $lines[] = sprintf('  %-26s %7d %9.1f %9.1f %9.1f', $route, count($ms), percentile($ms, 50), percentile($ms, 99), max($ms));
    }
    $lines[] = sprintf('  %-26s %7d %9.1f %9.1f %9.1f', 'all', count($all), percentile($all, 50), percentile($all, 99), $all ? max($all) : 0);
    return implode("\n", $lines) . "\n";
}

/** The route name of a request path: group/getfeed/data.json → getfeed, group/userlist.json → userlist. */
function route_of($path)
{
    $parts = explode('/', preg_replace('/\.json$/', '', $path));
    return isset($parts[1]) ? $parts[1] : $parts[0];
}

const LOAD_WRITE_ROUTES = array('create', 'editgroup', 'delete', 'deleteallgroupsfromuser', 'addmemberauth', 'adduserauth',
    'createuseraddtogroup', 'removeuser', 'fullremoveuser', 'setuserinfo');

/**
 * Does $r have the documented shape of $route (core/ROUTES.md)? '' when it does, else why not.
 * $ctx: 'subadmin' => true for a sub-administrator's userlist (no email, bio, location).
 */
function shape_problem($route, Response $r, array $ctx = array())
{
    if ($r->status >= 500 || $r->status === 0) {
        return "HTTP $r->status";
    }
    if (preg_match('/(Warning|Notice|Deprecated|Fatal error|Parse error)(<\/b>)?:/', $r->body)) {
        return 'PHP message in the body';
    }
    $ctype = $r->header('content-type');
    if ($route === 'setuser' || $route === 'logasprevioususer') {
        if ($r->status === 302) {
            $to = (string) preg_replace('#^https?://[^/]+#', '', $r->header('location'));
            $want = $route === 'setuser' ? '#^/(user/view|task/list\#.*)$#' : '#^/group$#';
            return preg_match($want, $to) ? '' : "redirect to $to";
        }
        if ($route === 'setuser' && $r->status === 200 && strpos($ctype, 'text/plain') === 0 && strpos($r->body, 'ERROR: ') === 0) {
            return '';
        }
        return "status $r->status, $ctype";
    }
    if ($r->status !== 200) {
        return "status $r->status";
    }
    if (strpos($ctype, 'application/json') !== 0) {
        return "content-type $ctype";
    }
    $j = $r->json;
    $isFailure = function ($j) {
        return is_array($j) && array_keys($j) === array('success', 'message') && $j['success'] === false
            && is_string($j['message']) && $j['message'] !== '';
    };
    if ($isFailure($j)) {
        return '';
    }
    $keysAre = function ($j, array $keys) {
        if (!is_array($j)) {
            return false;
        }
        $have = array_keys($j);
        sort($have);
        sort($keys);
        return $have === $keys;
    };
    $msg = is_array($j) && isset($j['message']) && is_string($j['message']) ? $j['message'] : null;
    $okMsg = function ($keys, $pattern) use ($j, $keysAre, $msg) {
        return $keysAre($j, $keys) && $j['success'] === true && $msg !== null && preg_match($pattern, $msg);
    };
    switch ($route) {
        case 'create':
            return $okMsg(array('success', 'groupid', 'message'), '/^Group \d+ added$/') && is_int($j['groupid'])
                && $msg === "Group $j[groupid] added" ? '' : 'create answer';
        case 'editgroup':
            return $okMsg(array('success', 'message'), '/^Group edited$/') ? '' : 'editgroup answer';
        case 'delete':
            return $okMsg(array('success', 'message'), '/^Group deleted$/') ? '' : 'delete answer';
        case 'deleteallgroupsfromuser':
            return $okMsg(array('success', 'message'), '/^$/') ? '' : 'deleteallgroupsfromuser answer';
        case 'addmemberauth':
        case 'adduserauth':
            return $okMsg(array('success', 'message'), '/^User \d+:\S+ added$/') ? '' : "$route answer";
        case 'createuseraddtogroup':
            return $okMsg(array('success', 'message', 'userid'), '/^User \d+:\S+ added$/') && is_int($j['userid'])
                && strpos($msg, "User $j[userid]:") === 0 ? '' : 'createuseraddtogroup answer';
        case 'removeuser':
            return $okMsg(array('success', 'message'), '/^User removed from group$/') ? '' : 'removeuser answer';
        case 'fullremoveuser':
            return $okMsg(array('success', 'message'), '/^PERMANENT DELETE:\n/') ? '' : 'fullremoveuser answer';
        case 'setuserinfo':
            return $okMsg(array('success', 'message'), '/^User info updated$/') ? '' : 'setuserinfo answer';
        case 'grouplist':
            if (!is_array($j) || ($j && array_keys($j) !== range(0, count($j) - 1))) {
                return 'grouplist: not a list';
            }
            foreach ($j as $g) {
                if (!$keysAre($g, array('groupid', 'name', 'description', 'role')) || !is_int($g['groupid']) || !is_int($g['role'])) {
                    return 'grouplist entry ' . load_json($g);
                }
            }
            return '';
        case 'userlist':
            return userlist_problem($j, !empty($ctx['subadmin']));
        case 'mygroups':
            if (!is_array($j) || ($j && array_keys($j) !== range(0, count($j) - 1))) {
                return 'mygroups: not a list';
            }
            foreach ($j as $g) {
                if (!$keysAre($g, array('groupid', 'name', 'description', 'role', 'users')) || !is_int($g['groupid'])) {
                    return 'mygroups entry keys ' . load_json(is_array($g) ? array_keys($g) : $g);
                }
                if (!$isFailure($g['users'])) {
                    $p = userlist_problem($g['users'], $g['role'] === 2);
                    if ($p !== '') {
                        return "mygroups group $g[groupid]: $p";
                    }
                }
            }
            return '';
        case 'snapshot':
            return $keysAre($j, array('success', 'groupid', 'viewer', 'state')) && $j['success'] === true && is_int($j['groupid'])
                && is_int($j['viewer']) && is_array($j['state']) ? '' : 'snapshot answer';
        case 'summary':
            return $keysAre($j, array('groupid', 'name', 'description', 'organization', 'area', 'visibility', 'access', 'role', 'members'))
                && is_int($j['members']) ? '' : 'summary answer';
        case 'getfeed':
            if (!is_array($j) || ($j && array_keys($j) !== range(0, count($j) - 1))) {
                return 'getfeed: not a list';
            }
            foreach ($j as $point) {
                if (!is_array($point) || count($point) !== 2 || !is_int($point[0]) || !($point[1] === null || is_int($point[1]) || is_float($point[1]))) {
                    return 'getfeed point ' . load_json($point);
                }
            }
            return '';
        case 'getsessionuserrole':
            return is_int($j) || $j === false ? '' : 'getsessionuserrole answer';
    }
    return "no shape known for $route";
}

function userlist_problem($j, $subadmin)
{
    if (!is_array($j) || ($j && array_keys($j) !== range(0, count($j) - 1))) {
        return 'userlist: not a list';
    }
    $keys = array('userid', 'username', 'role', 'admin_rights', 'totalfeeds', 'feedslist', 'inputslist', 'taskslist', 'name',
        'bio', 'location', 'timezone', 'email', 'tags');
    if ($subadmin) {
        $keys = array_values(array_diff($keys, array('email', 'bio', 'location')));
    }
    sort($keys);
    $last = 0;
    foreach ($j as $u) {
        $have = is_array($u) ? array_keys($u) : array();
        sort($have);
        if ($have !== $keys) {
            return 'userlist entry keys ' . load_json($have);
        }
        if (!is_int($u['userid']) || $u['userid'] <= $last || !is_int($u['role']) || !is_array($u['feedslist'])
            || $u['totalfeeds'] !== count($u['feedslist']) || $u['taskslist'] !== array()) {
            return 'userlist entry ' . substr(load_json($u), 0, 300);
        }
        $last = $u['userid'];
    }
    return '';
}

/** A timed request through lib.php's Client: [Response, milliseconds, start, end (unix s, float)]. */
function timed(Client $c, $method, $path, $query = array(), $post = null)
{
    $t0 = microtime(true);
    $r = $c->request($method, $path, $query, $post);
    $t1 = microtime(true);
    return array($r, ($t1 - $t0) * 1000, $t0, $t1);
}

// ---------------------------------------------------------------------------------------------
// Test-only audit: AFTER triggers on the tables the module writes, each row event recorded with
// the MariaDB connection that wrote it, in commit order (MyISAM: one writer per table at a time;
// the audit table's AUTO_INCREMENT gives the order). Never part of the module.
// ---------------------------------------------------------------------------------------------

const AUDIT_USER_COLUMNS = array('id', 'username', 'name', 'email', 'bio', 'location', 'timezone', 'tags', 'admin');

function audit_install(TestDb $db)
{
    $m = $db->mysqli;
    $m->query('CREATE TABLE IF NOT EXISTS eg_load_audit (seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, conn BIGINT NOT NULL, '
        . 'tbl VARCHAR(16) NOT NULL, op CHAR(1) NOT NULL, old_row TEXT NULL, new_row TEXT NULL) ENGINE=MyISAM');
    $image = array(
        'groups' => array('id', 'name', 'description', 'organization', 'area', 'visibility', 'access'),
        'group_users' => array('groupid', 'userid', 'role', 'admin_rights'),
        'users' => AUDIT_USER_COLUMNS,
    );
    foreach ($image as $table => $columns) {
        $json = function ($alias) use ($columns) {
            return 'JSON_OBJECT(' . implode(', ', array_map(function ($c) use ($alias) { return "'$c', $alias.`$c`"; }, $columns)) . ')';
        };
        foreach (array('insert' => 'i', 'update' => 'u', 'delete' => 'd') as $op => $code) {
            $old = $op === 'insert' ? 'NULL' : $json('OLD');
            $new = $op === 'delete' ? 'NULL' : $json('NEW');
            $body = "INSERT INTO eg_load_audit (conn, tbl, op, old_row, new_row) VALUES (CONNECTION_ID(), '$table', '$code', $old, $new)";
            if ($table === 'users' && $op === 'update') {
                // Only changes of the columns the module writes (logins update lastactive).
                $same = implode(' AND ', array_map(function ($c) { return "OLD.`$c` <=> NEW.`$c`"; }, $columns));
                $body = "IF NOT ($same) THEN $body; END IF";
            }
            $m->query("DROP TRIGGER IF EXISTS eg_load_{$table}_$op");
            $m->query("CREATE TRIGGER eg_load_{$table}_$op AFTER " . strtoupper($op) . " ON `$table` FOR EACH ROW BEGIN $body; END");
        }
    }
}

/** Every audit row, in order. */
function audit_rows(TestDb $db, $fromSeq = 0)
{
    return $db->rows('SELECT seq, conn, tbl, op, old_row, new_row FROM eg_load_audit WHERE seq > ? ORDER BY seq', array($fromSeq));
}

// ---------------------------------------------------------------------------------------------
// Snapshots of the tables the module writes
// ---------------------------------------------------------------------------------------------

/**
 * groups (id → row), group_users (sorted "groupid|userid|role|admin_rights" lines, duplicates
 * kept), users (id → the columns the module writes), feeds and inputs (id → owner).
 */
function tables_snapshot(TestDb $db)
{
    $groups = array();
    foreach ($db->rows('SELECT id, name, description, organization, area, visibility, access FROM `groups` ORDER BY id') as $row) {
        $groups[(int) $row['id']] = $row;
    }
    $gu = array();
    foreach ($db->rows('SELECT groupid, userid, role, admin_rights FROM group_users') as $row) {
        $gu[] = "$row[groupid]|$row[userid]|$row[role]|$row[admin_rights]";
    }
    sort($gu);
    $users = array();
    foreach ($db->rows('SELECT ' . implode(', ', AUDIT_USER_COLUMNS) . ' FROM users ORDER BY id') as $row) {
        $users[(int) $row['id']] = $row;
    }
    $feeds = array();
    foreach ($db->rows('SELECT id, userid FROM feeds ORDER BY id') as $row) {
        $feeds[(int) $row['id']] = (int) $row['userid'];
    }
    $inputs = array();
    foreach ($db->rows('SELECT id, userid FROM input ORDER BY id') as $row) {
        $inputs[(int) $row['id']] = (int) $row['userid'];
    }
    return array('groups' => $groups, 'group_users' => $gu, 'users' => $users, 'feeds' => $feeds, 'inputs' => $inputs);
}

/** What differs between two snapshots, as short readable lines (at most $max). */
function snapshot_diff(array $a, array $b, $max = 12)
{
    $lines = array();
    foreach (array('groups', 'users', 'feeds', 'inputs') as $t) {
        foreach ($a[$t] as $id => $row) {
            if (!array_key_exists($id, $b[$t])) {
                $lines[] = "$t $id only before: " . load_json($row);
            } elseif ($b[$t][$id] !== $row) {
                $lines[] = "$t $id: " . load_json($row) . ' -> ' . load_json($b[$t][$id]);
            }
        }
        foreach ($b[$t] as $id => $row) {
            if (!array_key_exists($id, $a[$t])) {
                $lines[] = "$t $id only after: " . load_json($row);
            }
        }
    }
    $ca = array_count_values($a['group_users']);
    $cb = array_count_values($b['group_users']);
    foreach ($ca as $k => $n) {
        $m = isset($cb[$k]) ? $cb[$k] : 0;
        if ($m < $n) {
            $lines[] = "group_users $k only before" . ($n - $m > 1 ? ' (×' . ($n - $m) . ')' : '');
        }
    }
    foreach ($cb as $k => $n) {
        $m = isset($ca[$k]) ? $ca[$k] : 0;
        if ($m < $n) {
            $lines[] = "group_users $k only after" . ($n - $m > 1 ? ' (×' . ($n - $m) . ')' : '');
        }
    }
    if (count($lines) > $max) {
        $more = count($lines) - $max;
        $lines = array_slice($lines, 0, $max);
        $lines[] = "… $more more";
    }
    return $lines;
}

/** Lines of a log file from byte $from on. */
function log_lines($file, $from = 0)
{
    $text = (string) @file_get_contents($file, false, null, $from);
    return $text === '' ? array() : explode("\n", rtrim($text, "\n"));
}

/** PHP warnings, notices, deprecations and fatals in the built-in server's log. */
function php_problems(array $lines)
{
    return array_values(array_filter($lines, function ($l) {
        return preg_match('/PHP (Warning|Notice|Deprecated|Fatal error|Parse error|Stack trace)|Uncaught /', $l);
    }));
}

/** emoncms.log lines written by the group module (group_*.php, any level). */
function module_log_lines(array $lines)
{
    return array_values(array_filter($lines, function ($l) {
        $parts = explode('|', $l);
        return isset($parts[2]) && strpos($parts[2], 'group_') === 0;
    }));
}
