<?php
/*
 * Fault tests of the group module inside real emoncms: `kill -9` of PHP's server, and of
 * MariaDB, in the middle of a multi-row group change, then a restart on the same data.
 *
 *   php kill.php --state=DIR [--counts=FILE] [--cases=delete,deleteall,createuser,setuserinfo,fullremove]
 *                [--modes=php,mysqld]
 *
 * Environment: what env.sh's emoncms_up exports, plus EMONCMS_SERVER_PID (the `timeout` process
 * above the PHP server) and EMONCMS_MYSQL_PID. The processes killed are exactly those: the PHP
 * server's master and workers (the children of EMONCMS_SERVER_PID), and that mariadbd. Each is
 * started again with its own command line and environment (read from /proc before the kill),
 * the PHP server under `timeout` as env.sh starts it; their ids go to RUN/load-restarted.pids,
 * where the calling script's cleanup stops them.
 *
 * Each case: a fixture made through the module's routes (site administrator `admin`), a change
 * answered with success (group Keep<n>), a snapshot of the tables, then the change under test,
 * held open by a test-only trigger that makes one of its row writes sleep 0.8 s
 * (TestDb::installFaults), killed while it sleeps:
 *   kill -9 PHP:     the statement running in MariaDB completes, the rest of the change never runs;
 *   kill -9 MariaDB: the statement stops part-way (MyISAM keeps the rows it already wrote).
 * After the restart, one group read (grouplist) and one group write (create Recover<n>) as the
 * module's next requests; then the tables must show the whole change or none of it (compared with
 * the snapshot before and that snapshot with the change applied), and the change answered before
 * the kill must still be there. After a MariaDB restart the test's own MyISAM tables (eg_fault,
 * eg_load_audit) are repaired by the test; the module's are left to MariaDB's crash recovery.
 * When a case ends partial, CHECK TABLE tells whether MariaDB finds the module's tables damaged
 * (printed as a diagnosis, not counted), and if so they are repaired and the outcome of one more
 * group request is printed.
 */
require __DIR__ . '/common.php';

list($opts) = load_args($argv);
$stateDir = $opts['state'];
$counts = isset($opts['counts']) ? $opts['counts'] : '';
$caseNames = explode(',', isset($opts['cases']) ? $opts['cases'] : 'delete,deleteall,createuser,setuserinfo,fullremove');
$modes = explode(',', isset($opts['modes']) ? $opts['modes'] : 'php,mysqld');
$base = rtrim(load_env('EMONCMS_BASE'), '/');
$run = load_env('EMONCMS_RUN');
$serverLogStart = (int) @filesize("$run/server.log");
$emoncmsLogStart = (int) @filesize("$run/log/emoncms.log");

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------
function proc_children($pid)
{
    $kids = array();
    foreach (glob('/proc/[0-9]*/stat') as $f) {
        $stat = @file_get_contents($f);
        if ($stat === false) {
            continue;
        }
        $fields = explode(' ', substr($stat, strrpos($stat, ')') + 2));
        if ((int) $fields[1] === (int) $pid && $fields[0] !== 'Z') {
            $kids[] = (int) basename(dirname($f));
        }
    }
    return $kids;
}

function proc_alive($pid)
{
    $stat = @file_get_contents("/proc/$pid/stat");
    return $stat !== false && substr($stat, strrpos($stat, ')') + 2, 1) !== 'Z';
}

function proc_argv($pid)
{
    return explode("\0", rtrim((string) file_get_contents("/proc/$pid/cmdline"), "\0"));
}

function proc_env($pid)
{
    $env = array();
    foreach (explode("\0", rtrim((string) file_get_contents("/proc/$pid/environ"), "\0")) as $kv) {
        $p = strpos($kv, '=');
        if ($p !== false) {
            $env[substr($kv, 0, $p)] = substr($kv, $p + 1);
        }
    }
    return $env;
}

function wait_until($what, callable $cond, $seconds)
{
    $end = microtime(true) + $seconds;
    while (microtime(true) < $end) {
        if ($cond()) {
            return true;
        }
        usleep(20000);
    }
    fwrite(STDERR, "kill: timed out waiting for $what\n");
    return false;
}

class Servers
{
    public $phpTop;
    public $mysqld;
    private $phpArgv;
    private $phpEnv;
    private $phpCwd;
    private $myArgv;
    private $myEnv;
    private $run;
    private $base;

    public function __construct($run, $base)
    {
        $this->run = $run;
        $this->base = $base;
        $this->phpTop = (int) load_env('EMONCMS_SERVER_PID');
        $this->mysqld = (int) load_env('EMONCMS_MYSQL_PID');
        $master = $this->phpMaster();
        if (!$master || !proc_alive($this->mysqld)) {
            fwrite(STDERR, "kill: no PHP server under $this->phpTop or no mariadbd $this->mysqld\n");
            exit(2);
        }
        $this->phpArgv = proc_argv($master);
        $this->phpEnv = proc_env($master);
        $this->phpCwd = readlink("/proc/$master/cwd");
        $this->myArgv = proc_argv($this->mysqld);
        $this->myEnv = proc_env($this->mysqld);
    }

    /** A program's path (proc_open with an argument list does not search PATH when it is given an environment). */
    public static function which($program)
    {
        if (strpos($program, '/') !== false) {
            return $program;
        }
        $path = trim((string) shell_exec('command -v ' . escapeshellarg($program)));
        return $path !== '' ? $path : $program;
    }

    public function phpMaster()
    {
        $kids = proc_children($this->phpTop);
        return $kids ? $kids[0] : 0;
    }

    /** kill -9 of the PHP server: every worker and the master. */
    public function killPhp()
    {
        $master = $this->phpMaster();
        $all = array_merge(proc_children($master), array($master));
        foreach ($all as $pid) {
            posix_kill($pid, SIGKILL);
        }
        wait_until('the PHP server to die', function () use ($all) {
            return !array_filter($all, 'proc_alive');
        }, 10);
        return count($all);
    }

    public function startPhp()
    {
        $lifetime = getenv('EMONCMS_SERVER_LIFETIME') ?: '2700';
        $log = "$this->run/server.log";
        $p = proc_open(array_merge(array(self::which('timeout'), $lifetime), $this->phpArgv),
            array(0 => array('file', '/dev/null', 'r'), 1 => array('file', $log, 'a'), 2 => array('file', $log, 'a')),
            $pipes, $this->phpCwd, $this->phpEnv);
        $this->phpTop = proc_get_status($p)['pid'];
        file_put_contents("$this->run/load-restarted.pids", "php $this->phpTop\n", FILE_APPEND);
        $base = $this->base;
        return wait_until('the PHP server to answer', function () use ($base) {
            $s = @fsockopen('127.0.0.1', (int) parse_url($base, PHP_URL_PORT), $errno, $errstr, 0.2);
            if ($s) {
                fclose($s);
                return true;
            }
            return false;
        }, 15);
    }

    public function killMysql()
    {
        posix_kill($this->mysqld, SIGKILL);
        $pid = $this->mysqld;
        wait_until('mariadbd to die', function () use ($pid) { return !proc_alive($pid); }, 20);
    }

    public function startMysql()
    {
        $log = "$this->run/mariadb/stdout.log";
        $argv = $this->myArgv;
        $argv[0] = self::which($argv[0]);
        $p = proc_open($argv, array(0 => array('file', '/dev/null', 'r'), 1 => array('file', $log, 'a'),
            2 => array('file', $log, 'a')), $pipes, '/', $this->myEnv);
        $this->mysqld = proc_get_status($p)['pid'];
        file_put_contents("$this->run/load-restarted.pids", "mysqld $this->mysqld\n", FILE_APPEND);
        return wait_until('mariadbd to accept connections', function () {
            mysqli_report(MYSQLI_REPORT_OFF);
            $m = @new mysqli('127.0.0.1', getenv('EMONCMS_MYSQL_USER'), getenv('EMONCMS_MYSQL_PASSWORD'),
                getenv('EMONCMS_MYSQL_DATABASE'), (int) getenv('EMONCMS_MYSQL_PORT'));
            $ok = !$m->connect_errno;
            if ($ok) {
                $m->close();
            }
            return $ok;
        }, 60);
    }
}

$servers = new Servers($run, $base);
$db = new TestDb();
$db->installFaults();
$db->clearFaults();

/** A login session as the group page has it (cookie + request token). */
function session_client($base, $user, $password)
{
    $c = new Client($base);
    $r = $c->post('user/login.json', array(), array('username' => $user, 'password' => $password));
    T::ok("login $user", !empty($r->json['success']), $r->body);
    $c->get('group/grouplist.json');
    return $c;
}

function must(Response $r, $what)
{
    if (!T::ok($what, !empty($r->json['success']), substr($r->body, 0, 300))) {
        return null;
    }
    return $r->json;
}

$admin = session_client($base, 'admin', 'admin');
$anon = new Client($base);

/** An account through emoncms's own user/register.json, logged in. */
function register($base, $anon, $name)
{
    $r = $anon->post('user/register.json', array(), array('username' => $name, 'password' => "pw$name", 'email' => "$name@example.org",
        'timezone' => 'Europe/London'));
    must($r, "register $name");
    return session_client($base, $name, "pw$name");
}

$userId = function ($db, $username) {
    $row = $db->row('SELECT id FROM users WHERE username = ?', array($username));
    return $row ? (int) $row['id'] : 0;
};

// ---------------------------------------------------------------------------------------------
// The cases: fixture, the change, where it sleeps, and the change applied to a snapshot
// ---------------------------------------------------------------------------------------------
$removeGroup = function (array $s, $gid) {
    unset($s['groups'][$gid]);
    $s['group_users'] = array_values(array_filter($s['group_users'], function ($l) use ($gid) {
        return explode('|', $l)[0] !== (string) $gid;
    }));
    return $s;
};
$cases = array(
    'delete' => array(
        'what' => 'group/delete of a group with 5 members',
        'setup' => function ($n) use ($admin) {
            $g = must($admin->get('group/create.json', array('name' => "KillDel$n")), "create KillDel$n");
            for ($i = 1; $i <= 4; $i++) {
                must($admin->get('group/createuseraddtogroup.json', array('groupid' => $g['groupid'], 'username' => "kd{$n}m$i",
                    'password' => "pwkd{$n}m$i", 'email' => "kd{$n}m$i@example.org", 'role' => 0)), "member $i of KillDel$n");
            }
            return array('client' => $admin, 'gid' => $g['groupid']);
        },
        'request' => function ($f) { return array('GET', 'group/delete.json', array('groupid' => $f['gid']), null); },
        'sleep' => array('php' => array('groups', 'delete', 0, 0.0), 'mysqld' => array('group_users', 'delete', 0, 1.2)),
        'whole' => function (array $s, $f) use ($removeGroup) { return $removeGroup($s, $f['gid']); },
    ),
    'deleteall' => array(
        'what' => 'deleteallgroupsfromuser over 3 groups of 3 members',
        'setup' => function ($n) use ($base, $anon) {
            $owner = register($base, $anon, "kall$n");
            $gids = array();
            foreach (array('a', 'b', 'c') as $x) {
                $g = must($owner->get('group/create.json', array('name' => "KillAll$n$x")), "create KillAll$n$x");
                $gids[] = $g['groupid'];
                for ($i = 1; $i <= 2; $i++) {
                    must($owner->get('group/createuseraddtogroup.json', array('groupid' => $g['groupid'], 'username' => "ka$n{$x}m$i",
                        'password' => "pwka$n{$x}m$i", 'email' => "ka$n{$x}m$i@example.org", 'role' => 0)), "member $i of KillAll$n$x");
                }
            }
            return array('client' => $owner, 'gids' => $gids);
        },
        'request' => function ($f) { return array('GET', 'group/deleteallgroupsfromuser.json', array(), null); },
        'sleep' => array('php' => array('groups', 'delete', 1, 0.0), 'mysqld' => array('groups', 'delete', 1, 0.3)),
        'whole' => function (array $s, $f) use ($removeGroup) {
            foreach ($f['gids'] as $gid) {
                $s = $removeGroup($s, $gid);
            }
            return $s;
        },
    ),
    'createuser' => array(
        'what' => 'createuseraddtogroup with a name (register, profile, membership)',
        'setup' => function ($n) use ($admin) {
            $g = must($admin->get('group/create.json', array('name' => "KillNew$n")), "create KillNew$n");
            return array('client' => $admin, 'gid' => $g['groupid'], 'username' => "kn$n");
        },
        'request' => function ($f) {
            return array('GET', 'group/createuseraddtogroup.json', array('groupid' => $f['gid'], 'username' => $f['username'],
                'password' => 'pw' . $f['username'], 'email' => $f['username'] . '@example.org', 'role' => 3, 'name' => 'Killed New'), null);
        },
        'sleep' => array('php' => array('users', 'insert', 0, 0.0), 'mysqld' => array('group_users', 'insert', 0, 0.3)),
        'whole' => function (array $s, $f, array $after) {
            // The new account's id is whatever emoncms gave it: taken from the tables after.
            foreach ($after['users'] as $id => $u) {
                if ($u['username'] === $f['username'] && !isset($s['users'][$id])) {
                    $s['users'][$id] = array('id' => $id, 'username' => $f['username'], 'name' => 'Killed New',
                        'email' => $f['username'] . '@example.org') + $u;
                    $s['group_users'][] = "$f[gid]|$id|3|full";
                    sort($s['group_users']);
                }
            }
            return $s;
        },
    ),
    'setuserinfo' => array(
        'what' => 'setuserinfo of role and profile (users row, then membership)',
        'setup' => function ($n) use ($admin) {
            $g = must($admin->get('group/create.json', array('name' => "KillSet$n")), "create KillSet$n");
            $u = must($admin->get('group/createuseraddtogroup.json', array('groupid' => $g['groupid'], 'username' => "ks$n",
                'password' => "pwks$n", 'email' => "ks$n@example.org", 'role' => 0, 'name' => 'Before Kill')), "member ks$n");
            return array('client' => $admin, 'gid' => $g['groupid'], 'uid' => $u['userid']);
        },
        'request' => function ($f) {
            return array('POST', 'group/setuserinfo.json', array(), array('groupid' => $f['gid'], 'userid' => $f['uid'],
                'name' => 'After Kill', 'location' => 'Crashville', 'role' => '3'));
        },
        'sleep' => array('php' => array('users', 'update', 0, 0.0), 'mysqld' => array('group_users', 'update', 0, 0.3)),
        'whole' => function (array $s, $f) {
            $s['users'][$f['uid']]['name'] = 'After Kill';
            $s['users'][$f['uid']]['location'] = 'Crashville';
            $s['group_users'] = array_map(function ($l) use ($f) {
                $p = explode('|', $l);
                return ($p[0] === (string) $f['gid'] && $p[1] === (string) $f['uid']) ? "$p[0]|$p[1]|3|$p[3]" : $l;
            }, $s['group_users']);
            sort($s['group_users']);
            return $s;
        },
    ),
    'fullremove' => array(
        'what' => 'fullremoveuser of a member with 2 feeds and an input (emoncms\'s delete_user)',
        'setup' => function ($n) use ($admin, $base, $anon, $userId) {
            $victim = register($base, $anon, "kf$n");
            foreach (array('power', 'energy') as $name) {
                must($victim->get('feed/create.json', array('tag' => 'kill', 'name' => $name, 'datatype' => 1, 'engine' => 5,
                    'options' => json_encode(array('interval' => 600)))), "feed $name of kf$n");
            }
            $victim->get('input/post.json', array('node' => 'killnode', 'fulljson' => json_encode(array('power' => 100))));
            $g = must($admin->get('group/create.json', array('name' => "KillFull$n")), "create KillFull$n");
            must($admin->get('group/addmemberauth.json', array('groupid' => $g['groupid'], 'username' => "kf$n", 'password' => "pwkf$n",
                'role' => 0)), "add kf$n");
            return array('client' => $admin, 'gid' => $g['groupid'], 'uid' => $userId($GLOBALS['db'], "kf$n"));
        },
        'request' => function ($f) { return array('GET', 'group/fullremoveuser.json', array('groupid' => $f['gid'], 'userid' => $f['uid']), null); },
        'sleep' => array('php' => array('group_users', 'delete', 0, 0.0), 'mysqld' => array('users', 'delete', 0, 0.3)),
        'whole' => function (array $s, $f) {
            unset($s['users'][$f['uid']]);
            $s['group_users'] = array_values(array_filter($s['group_users'], function ($l) use ($f) {
                return explode('|', $l)[1] !== (string) $f['uid'];
            }));
            $s['feeds'] = array_filter($s['feeds'], function ($owner) use ($f) { return $owner !== $f['uid']; });
            $s['inputs'] = array_filter($s['inputs'], function ($owner) use ($f) { return $owner !== $f['uid']; });
            return $s;
        },
    ),
);

// ---------------------------------------------------------------------------------------------
// Run each case in each mode
// ---------------------------------------------------------------------------------------------
/** The snapshot without the recovery group (made after the restart) and its membership. */
$without = function (array $s, $gid) use ($removeGroup) {
    return $gid ? $removeGroup($s, $gid) : $s;
};
$results = array();
$n = 0;
$loadFinal = json_decode((string) @file_get_contents("$stateDir/final.json"), true);
foreach ($modes as $mode) {
    foreach ($caseNames as $name) {
        $case = $cases[$name];
        $n++;
        $label = "kill -9 " . ($mode === 'php' ? 'PHP' : 'MariaDB') . " during $case[what]";
        echo "-- $label\n";
        $failedBefore = T::$failed;
        $f = $case['setup']($n);
        $keep = must($admin->get('group/create.json', array('name' => "Keep$n")), "$label: a change answered before the kill");
        if (T::$failed > $failedBefore || !$keep) {
            echo "   (fixture incomplete: case skipped)\n";
            continue;
        }
        $before = tables_snapshot($db);
        list($table, $op, $skip, $delay) = $case['sleep'][$mode];
        $db->fault($table, $op, 'sleep', $skip);
        list($method, $path, $query, $post) = $case['request']($f);
        $answerFile = "$stateDir/kill-$n.answer";
        @unlink($answerFile);
        $client = $f['client'];
        $pid = pcntl_fork();
        if ($pid === 0) {
            $r = $client->request($method, $path, $query, $post);
            file_put_contents($answerFile, load_json(array('status' => $r->status, 'body' => $r->body,
                'ctype' => $r->header('content-type'))));
            // No destructors: the MariaDB connection inherited from the parent must stay open.
            posix_kill(posix_getpid(), SIGKILL);
        }
        // The change is inside the sleeping row write: a MariaDB thread in "User sleep".
        $sleeping = 0;
        wait_until("$label: the change to reach its held row write", function () use ($db, &$sleeping) {
            $row = $db->row("SELECT ID FROM information_schema.PROCESSLIST WHERE STATE = 'User sleep' AND ID <> CONNECTION_ID() LIMIT 1");
            $sleeping = $row ? (int) $row['ID'] : 0;
            return $sleeping > 0;
        }, 20);
        T::ok("$label: the change is held open in MariaDB", $sleeping > 0);
        if ($delay > 0) {
            usleep((int) ($delay * 1e6));
        }
        if ($mode === 'php') {
            $killed = $servers->killPhp();
            $db->clearFaults();
            // The statement that was running completes; then MariaDB sees the client gone.
            wait_until("$label: the killed request's connection to end", function () use ($db, $sleeping) {
                return !$db->row('SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ?', array($sleeping));
            }, 20);
            pcntl_waitpid($pid, $status);
            T::ok("$label: PHP restarted", $servers->startPhp());
        } else {
            $servers->killMysql();
            pcntl_waitpid($pid, $status);   // the request answers once its connection is gone
            T::ok("$label: MariaDB restarted on the same datadir", $servers->startMysql());
            $db = new TestDb();
            // The test's own MyISAM tables (fault control, audit) are repaired here, so that only
            // the module's tables are left to MariaDB's own crash recovery (myisam-recover-options).
            $db->mysqli->query('REPAIR TABLE eg_fault, eg_load_audit');
            $db->clearFaults();
        }
        $answer = json_decode((string) @file_get_contents($answerFile), true);
        $answerJson = is_array($answer) ? json_decode($answer['body'], true) : null;
        $answered = is_array($answerJson) && !empty($answerJson['success']);
        // The module's next requests: a read, then a write.
        $recoverList = $admin->get('group/grouplist.json');
        T::ok("$label: grouplist after the restart", $recoverList->status === 200 && is_array($recoverList->json)
            && !isset($recoverList->json['success']), substr($recoverList->body, 0, 300));
        $recover = $admin->get('group/create.json', array('name' => "Recover$n"));
        T::ok("$label: a change after the restart", !empty($recover->json['success']), substr($recover->body, 0, 300));
        $after = $without(tables_snapshot($db), isset($recover->json['groupid']) ? $recover->json['groupid'] : 0);
        $whole = $case['whole']($before, $f, $after);
        $outcome = $after == $before ? 'none' : ($after == $whole ? 'whole' : 'partial');
        $diff = $outcome === 'partial' ? snapshot_diff($before, $after, 40) : array();
        $results[] = array($label, $outcome, $answer ? substr($answer['body'], 0, 160) : 'no answer', $diff);
        T::ok("$label: the tables show the whole change or none of it (here: $outcome)", $outcome !== 'partial',
            "differences from the tables before the change:\n" . implode("\n", $diff)
            . "\nbeyond the whole change:\n" . implode("\n", snapshot_diff($whole, $after, 40)));
        if ($answered) {
            T::ok("$label: answered success, so the change is whole", $outcome === 'whole');
        }
        T::ok("$label: the change answered before the kill is still there", isset($after['groups'][$keep['groupid']])
            && in_array("$keep[groupid]|1|1|full", $after['group_users'], true));
        if ($mode === 'mysqld' && $answer !== null && $answer['status'] !== 0) {
            $r = new Response();
            $r->status = $answer['status'];
            $r->headers['content-type'] = $answer['ctype'];
            $r->body = $answer['body'];
            $r->json = json_decode($answer['body'], true);
            T::ok("$label: the cut-short request answered in its documented shape", shape_problem(route_of($path), $r) === '',
                shape_problem(route_of($path), $r) . ': ' . substr($answer['body'], 0, 300));
        }
        $journal = $db->rows("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'group_journal'")
            ? (int) $db->row('SELECT COUNT(*) AS n FROM group_journal')['n'] : null;
        if ($journal !== null) {
            T::ok("$label: no journal row is left after the module's next requests", $journal === 0, "$journal rows");
        }
        echo "   outcome: $outcome; the killed request answered: " . ($answer ? "$answer[status] " . substr($answer['body'], 0, 120) : 'nothing')
            . ($journal === null ? '; no group_journal table' : "; journal rows left: $journal") . "\n";
        foreach ($diff as $line) {
            echo "   partial: $line\n";
        }
        if ($outcome === 'partial' || $journal) {
            // Diagnosis only (not counted): does MariaDB find the module's MyISAM tables damaged,
            // and does the module's next request put the change back once they are repaired?
            $damaged = array();
            foreach ($db->rows('CHECK TABLE `groups`, group_users, users') as $row) {
                if ($row['Msg_type'] !== 'status' || $row['Msg_text'] !== 'OK') {
                    $damaged[$row['Table']][] = "$row[Msg_type]: $row[Msg_text]";
                }
            }
            if ($damaged) {
                foreach ($damaged as $t => $msgs) {
                    echo "   diagnosis: CHECK TABLE $t: " . implode('; ', $msgs) . "\n";
                }
                $db->rows('REPAIR TABLE `groups`, group_users, users');
                $admin->get('group/grouplist.json');
                $again = $without(tables_snapshot($db), isset($recover->json['groupid']) ? $recover->json['groupid'] : 0);
                echo '   diagnosis: after REPAIR TABLE and one more group request: '
                    . ($again == $before ? 'none' : ($again == $whole ? 'whole' : 'still partial')) . "\n";
            } else {
                echo "   diagnosis: CHECK TABLE finds groups, group_users and users OK\n";
            }
        }
    }
}
$db->clearFaults();
$db->removeFaults();

// Nothing the load left (load.php's final tables) was lost to the kills and recoveries: every
// group and membership of the load's end is still there, unless a kill case's fixture owns it.
if (is_array($loadFinal)) {
    $now = tables_snapshot($db);
    $lost = array();
    foreach ($loadFinal['groups'] as $gid => $row) {
        if (!isset($now['groups'][$gid]) || $now['groups'][$gid] != $row) {
            $lost[] = "group $gid " . load_json($row);
        }
    }
    $have = array_count_values($now['group_users']);
    foreach (array_count_values($loadFinal['group_users']) as $line => $k) {
        if ((isset($have[$line]) ? $have[$line] : 0) < $k) {
            $lost[] = "membership $line";
        }
    }
    T::ok('every group and membership the load left is still there after the kills', !$lost, implode("\n", array_slice($lost, 0, 10)));
}
echo "load/kill summary:\n";
foreach ($results as $res) {
    echo sprintf("  %-8s %s\n", $res[1], $res[0]);
}
$php = php_problems(log_lines("$run/server.log", $serverLogStart));
if ($php) {
    echo '  (server log during the kills: ' . count($php) . " PHP messages, e.g. $php[0])\n";
}
$moduleLines = module_log_lines(log_lines("$run/log/emoncms.log", $emoncmsLogStart));
foreach (array_slice($moduleLines, 0, 12) as $l) {
    echo "  emoncms.log: $l\n";
}
load_finish('kill', $counts);
