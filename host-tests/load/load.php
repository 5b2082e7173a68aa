<?php
/*
 * Load test of the group module inside real emoncms (issue 13, item 3): N client processes
 * (pcntl_fork, each its own login session or API key, one request at a time) loop for D
 * seconds over a mix of group reads and writes against a running emoncms seeded by
 * `seed.php demo`; every request is recorded with its start and end, status and answer.
 *
 *   php load.php prepare --state=DIR              audit triggers (test-only), then a dump of the
 *                                                 database as it is before the load (DIR/before.sql)
 *   php load.php run --state=DIR [--clients=16] [--seconds=10] [--counts=FILE]
 *
 * `run` checks: no HTTP 5xx and no failed connection; every answer has its route's documented
 * shape (core/ROUTES.md); no PHP warning, notice or fatal in the server log and no line of the
 * group module in emoncms.log; the audit rows (MariaDB AFTER triggers writing CONNECTION_ID()
 * to eg_load_audit; each answer names its connection in X-Load-Conn, host-tests/load/prepend.php)
 * of each accepted change are contiguous (the write lock serialises changes), a refused change
 * and a read wrote nothing, and the lock order agrees with real time. It prints p50/p99 per
 * route and leaves DIR/replay.json (the accepted changes in commit order, each with its audit
 * rows) and DIR/final.json (the tables after the load) for replay.php, and every request in
 * DIR/records.json (start, end, status, connection; the answer of changes, the size and sha1 of
 * reads).
 *
 * Environment: EMONCMS_BASE, EMONCMS_RUN, EMONCMS_MYSQL_* (env.sh's emoncms_up with
 * EMONGROUPS_TEST_PREPEND=host-tests/load/prepend.php) and EMONCMS_RUN/seed.json.
 */
require __DIR__ . '/common.php';

list($opts, $rest) = load_args($argv);
$phase = isset($rest[0]) ? $rest[0] : '';
$stateDir = isset($opts['state']) ? $opts['state'] : '';
if ($stateDir === '' || !is_dir($stateDir)) {
    fwrite(STDERR, "usage: php load.php prepare|run --state=DIR [--clients=16] [--seconds=10] [--counts=FILE]\n");
    exit(2);
}
$counts = isset($opts['counts']) ? $opts['counts'] : '';
$base = rtrim(load_env('EMONCMS_BASE'), '/');
$run = load_env('EMONCMS_RUN');
$seed = json_decode((string) file_get_contents("$run/seed.json"), true)['demo'];

if ($phase === 'prepare') {
    $db = new TestDb();
    audit_install($db);
    // The database before the load, for the serial replay on a second emoncms.
    $sock = load_env('EMONCMS_MYSQL_SOCKET');
    $cmd = 'mariadb-dump --no-defaults -S ' . escapeshellarg($sock) . ' -uroot --single-transaction --triggers --routines '
        . '--databases emoncms > ' . escapeshellarg("$stateDir/before.sql");
    system($cmd, $rc);
    T::ok('mariadb-dump of the database before the load', $rc === 0 && filesize("$stateDir/before.sql") > 1000);
    file_put_contents("$stateDir/audit-start", (string) (int) $db->row('SELECT COALESCE(MAX(seq), 0) AS s FROM eg_load_audit')['s']);
    load_finish('prepare', $counts);
}
if ($phase !== 'run') {
    fwrite(STDERR, "unknown phase '$phase'\n");
    exit(2);
}

$nClients = isset($opts['clients']) ? max(1, (int) $opts['clients']) : 16;
$seconds = isset($opts['seconds']) ? max(1, (float) $opts['seconds']) : 10.0;
$groups = $seed['groups'];

// ---------------------------------------------------------------------------------------------
// Who the clients are: seeded accounts, each with its own login session (cookie + request
// token) or its write API key. Several clients share an account (two browsers of one person).
// ---------------------------------------------------------------------------------------------
$personas = array(
    array('installer', 'session', 'installer'), array('installer', 'session', 'installer'), array('installer', 'apikey', 'installer'),
    array('researcher', 'session', 'researcher'), array('researcher', 'apikey', 'researcher'),
    array('organiser', 'session', 'organiser'), array('organiser', 'apikey', 'organiser'),
    array('technician', 'session', 'technician'), array('observer', 'session', 'observer'),
    array('site13', 'session', 'owner'), array('site14', 'apikey', 'owner'), array('house1', 'session', 'owner'),
    array('admin', 'session', 'owner'), array('site15', 'session', 'owner'), array('house2', 'apikey', 'owner'),
    array('installer', 'session', 'installer'),
);

function account($seed, $name)
{
    foreach (array('logins', 'sites', 'houses') as $k) {
        if (isset($seed[$k][$name])) {
            return $seed[$k][$name];
        }
    }
    return null;
}

/** One client's loop; returns its records. Runs in a forked process. */
function client_main($c, array $persona, $seed, $base, $startAt, $endAt)
{
    mt_srand(1000 + $c);
    list($login, $mode, $kind) = $persona;
    $me = account($seed, $login);
    $http = new Client($base);
    $records = array();
    $key = null;
    if ($mode === 'session') {
        $r = $http->post('user/login.json', array(), array('username' => $login, 'password' => $login));
        if (empty($r->json['success'])) {
            return array(array('c' => $c, 'error' => "login $login failed: " . substr($r->body, 0, 200)));
        }
        $http->get('group/grouplist.json');   // the session's request token, as the page gets it
        if ($http->csrf === '') {
            return array(array('c' => $c, 'error' => "no request token for $login"));
        }
    } else {
        $key = $me['apikey_write'];
    }
    $G = $seed['groups'];
    $sites = $seed['sites'];
    $houses = $seed['houses'];
    $siteNames = array_keys($sites);
    $scratch = array();      // groups this client made (ids)
    $made = array();         // accounts this client made: [username, password, id]
    $k = 0;
    $impersonating = null;

    $req = function ($method, $path, array $query = array(), array $post = null, array $ctx = array())
        use ($c, $http, $key, $login, $mode, &$records, &$impersonating) {
        if ($key !== null) {
            $query['apikey'] = $key;
        }
        list($r, $ms, $t0, $t1) = timed($http, $method, $path, $query, $post);
        $route = route_of($path);
        $rec = array('c' => $c, 'route' => $route, 'm' => $method, 'path' => $path, 'q' => $query, 'p' => $post,
            'auth' => $mode, 'actor' => $login, 'imp' => $impersonating, 't0' => $t0, 't1' => $t1, 'ms' => $ms,
            'st' => $r->status, 'conn' => (int) $r->header('x-load-conn'), 'shape' => shape_problem($route, $r, $ctx),
            'ok' => is_array($r->json) && isset($r->json['success']) && $r->json['success'] === true);
        if (in_array($route, LOAD_WRITE_ROUTES, true) || $route === 'setuser' || $route === 'logasprevioususer' || $rec['shape'] !== '') {
            $rec['body'] = substr($r->body, 0, 4000);
            $rec['loc'] = $r->header('location');
        } else {
            // Reads (member lists: up to megabytes): their size and digest.
            $rec['len'] = strlen($r->body);
            $rec['sha1'] = sha1($r->body);
        }
        $records[] = $rec;
        return $r;
    };
    $pick = function (array $list) {
        $list = array_values($list);
        return $list ? $list[mt_rand(0, count($list) - 1)] : null;
    };
    $feedOf = function ($account) use ($pick) {
        return $account && !empty($account['feeds']) ? $pick(array_values($account['feeds'])) : 1;
    };
    $getfeed = function ($feed) use ($req) {
        $end = time();
        $req('GET', 'group/getfeed/data.json', array('id' => $feed, 'start' => ($end - 6 * 3600) * 1000, 'end' => $end * 1000,
            'interval' => 1800));
    };
    $profile = function () use ($c) {
        $p = array();
        $n = mt_rand(1, 999);
        if (mt_rand(0, 1)) {
            $p['name'] = "Load $c-$n";
        }
        if (mt_rand(0, 2) === 0) {
            $p['location'] = "Town $n";
        }
        if (mt_rand(0, 3) === 0) {
            $p['bio'] = "bio $c $n";
        }
        if (mt_rand(0, 3) === 0) {
            $p['tags'] = json_encode(array('kW' => $n % 9, 'by' => "c$c"));
        }
        return $p;
    };
    $impersonate = function ($gid, $uid) use ($req, &$impersonating, $mode) {
        if ($mode !== 'session') {
            $req('GET', 'group/setuser', array('groupid' => $gid, 'userid' => $uid));
            return;
        }
        $r = $req('GET', 'group/setuser', array('groupid' => $gid, 'userid' => $uid));
        if ($r->status === 302) {
            $impersonating = $uid;
            $req('GET', 'group/grouplist.json');
            $req('GET', 'group/logasprevioususer');
            $impersonating = null;
        }
    };
    $newName = function () use ($c, &$k) {
        $k++;
        return array("l{$c}u$k", "pw{$c}x$k");
    };
    $otherMade = function () use ($c, $pick) {
        // An account another client made (or will make): names are l<client>u<n>, passwords pw<client>x<n>.
        $o = mt_rand(0, 15);
        $n = mt_rand(1, 6);
        return array("l{$o}u$n", "pw{$o}x$n");
    };
    $scratchName = function () use ($c, &$k) {
        $k++;
        return mt_rand(0, 5) === 0 ? 'LoadShared' . mt_rand(1, 3) : "L{$c}g$k";
    };
    $createScratch = function () use ($req, $scratchName, &$scratch) {
        $r = $req('GET', 'group/create.json', array('name' => $scratchName(), 'description' => 'scratch',
            'visibility' => mt_rand(0, 1) ? 'public' : 'private', 'access' => 'closed'));
        if (!empty($r->json['success'])) {
            $scratch[] = $r->json['groupid'];
        }
    };
    $editScratch = function () use ($req, $pick, &$scratch, $scratchName) {
        $g = $pick($scratch);
        if ($g) {
            $q = array('groupid' => $g, 'description' => 'edited' . mt_rand(1, 99));
            if (mt_rand(0, 2) === 0) {
                $q['name'] = $scratchName();
            }
            $req('GET', 'group/editgroup.json', $q);
        }
    };
    $forget = function (array $gids) use (&$made) {
        // Accounts made into a deleted group are in no group of ours any more.
        $made = array_values(array_filter($made, function ($m) use ($gids) { return !in_array($m[3], $gids, true); }));
    };
    $deleteScratch = function () use ($req, &$scratch, $forget) {
        if ($scratch) {
            $i = mt_rand(0, count($scratch) - 1);
            $r = $req('GET', 'group/delete.json', array('groupid' => $scratch[$i]));
            if (!empty($r->json['success'])) {
                $forget(array($scratch[$i]));
                array_splice($scratch, $i, 1);
            }
        }
    };
    $createUser = function ($gid, $role) use ($req, $newName, &$made) {
        list($u, $p) = $newName();
        $r = $req('GET', 'group/createuseraddtogroup.json', array('groupid' => $gid, 'username' => $u, 'password' => $p,
            'email' => "$u@example.org", 'role' => $role, 'name' => "New $u"));
        if (!empty($r->json['success'])) {
            $made[] = array($u, $p, $r->json['userid'], $gid);
        }
    };
    $fullRemove = function () use ($req, &$made) {
        if ($made) {
            $i = mt_rand(0, count($made) - 1);
            $r = $req('GET', 'group/fullremoveuser.json', array('groupid' => $made[$i][3], 'userid' => $made[$i][2]));
            if (!empty($r->json['success'])) {
                array_splice($made, $i, 1);
            }
        }
    };

    // The operations of each kind of client, with weights.
    $ops = array();
    $adminOps = function ($gid, array $targets, array $roles, array $rights) use (&$ops, $req, $pick, $sites, $houses, $seed,
        $profile, $impersonate, $getfeed, $feedOf, $siteNames, $createScratch, $editScratch, $deleteScratch, $createUser, $fullRemove) {
        $target = function () use ($pick, $targets, $seed) {
            $name = $pick($targets);
            return array($name, account($seed, $name)['id']);
        };
        $ops[] = array(14, function () use ($req, $gid, $target, $profile, $pick, $roles, $rights) {
            list(, $uid) = $target();
            $post = array('groupid' => $gid, 'userid' => $uid) + $profile();
            if (mt_rand(0, 1)) {
                $post['role'] = (string) $pick($roles);
            }
            if (mt_rand(0, 9) === 0) {
                $post['admin_rights'] = $pick($rights);
            }
            $req('POST', 'group/setuserinfo.json', array(), $post);
        });
        $ops[] = array(8, function () use ($req, $gid, $target) {
            list(, $uid) = $target();
            $req('GET', 'group/removeuser.json', array('groupid' => $gid, 'userid' => $uid));
        });
        $ops[] = array(10, function () use ($req, $gid, $target, $pick, $roles, $rights) {
            list($name) = $target();
            $req('GET', 'group/addmemberauth.json', array('groupid' => $gid, 'username' => $name, 'password' => $name,
                'role' => $pick($roles), 'admin_rights' => $pick($rights)));
        });
        $ops[] = array(3, function () use ($req, $gid, $target) {
            list($name) = $target();
            $req('GET', 'group/adduserauth.json', array('groupid' => $gid, 'username' => $name, 'password' => $name, 'access' => 0));
        });
        $ops[] = array(6, function () use ($impersonate, $gid, $target) {
            list(, $uid) = $target();
            $impersonate($gid, $uid);
        });
        $ops[] = array(14, function () use ($getfeed, $feedOf, $pick, $seed, $targets) {
            $getfeed($feedOf(account($seed, $pick($targets))));
        });
        $ops[] = array(6, function () use ($req, $gid) {
            $req('GET', 'group/userlist.json', array('groupid' => $gid));
        });
        $ops[] = array(3, function () use ($req, $gid) {
            $req('GET', 'group/snapshot.json', array('groupid' => $gid));
        });
        $ops[] = array(2, function () use ($req) {
            $req('GET', 'group/mygroups.json');
        });
        $ops[] = array(3, function () use ($req, $gid) {
            $req('GET', 'group/summary.json', array('groupid' => $gid));
        });
        $ops[] = array(3, function () use ($req) {
            $req('GET', 'group/grouplist.json');
        });
        $ops[] = array(4, $createScratch);
        $ops[] = array(3, $editScratch);
        $ops[] = array(3, $deleteScratch);
        $ops[] = array(3, function () use ($createUser, $gid) {
            $createUser($gid, 0);
        });
        $ops[] = array(2, $fullRemove);
    };

    if ($kind === 'installer') {
        $adminOps($G['installs'], array_slice($siteNames, 15), array(0, 3, 4, 0), array('full', 'full', 'read'));
    } elseif ($kind === 'researcher') {
        $adminOps($G['study'], array_slice($siteNames, 0, 12), array(0, 0, 3), array('read'));
    } elseif ($kind === 'organiser') {
        $adminOps($G['village'], array_keys($houses), array(3, 3, 0), array('read', 'full'));
        $ops[] = array(3, function () use ($req, $G) {
            $req('GET', 'group/editgroup.json', array('groupid' => $G['village'], 'description' => 'Community-energy-' . mt_rand(1, 99)));
        });
    } elseif ($kind === 'technician' || $kind === 'observer') {
        $gid = $kind === 'technician' ? $G['installs'] : $G['village'];
        $ops[] = array(10, function () use ($req, $gid, $kind) {
            $req('GET', 'group/userlist.json', array('groupid' => $gid), null, array('subadmin' => $kind === 'technician'));
        });
        $ops[] = array(10, function () use ($getfeed, $feedOf, $pick, $sites, $houses) {
            $getfeed($feedOf($pick(array_merge(array_values($sites), array_values($houses)))));
        });
        $ops[] = array(4, function () use ($req, $gid, $pick, $sites) {
            $req('GET', 'group/removeuser.json', array('groupid' => $gid, 'userid' => $pick($sites)['id']));
        });
        $ops[] = array(4, function () use ($req, $gid, $pick, $sites) {
            $req('POST', 'group/setuserinfo.json', array(), array('groupid' => $gid, 'userid' => $pick($sites)['id'], 'name' => 'Nope'));
        });
        $ops[] = array(4, function () use ($req, $gid) {
            $req('GET', 'group/summary.json', array('groupid' => $gid));
        });
        $ops[] = array(3, function () use ($req) {
            $req('GET', 'group/grouplist.json');
        });
        $ops[] = array(2, function () use ($req) {
            $req('GET', 'group/mygroups.json');
        });
        $ops[] = array(2, function () use ($req, $gid) {
            $req('GET', 'group/getsessionuserrole.json', array('groupid' => $gid));
        });
    } else {
        // An account that runs groups of its own (scratch groups) with members it adds or makes.
        $ops[] = array(8, $createScratch);
        $ops[] = array(10, function () use ($createUser, $pick, &$scratch) {
            if ($scratch) {
                $createUser($pick($scratch), mt_rand(0, 1) ? 0 : 3);
            }
        });
        $ops[] = array(10, function () use ($req, $pick, &$scratch, $otherMade, $houses, $siteNames) {
            $g = $pick($scratch);
            if (!$g) {
                return;
            }
            $choice = mt_rand(0, 2);
            if ($choice === 0) {
                list($u, $p) = $otherMade();
            } elseif ($choice === 1) {
                $u = $p = $pick(array_slice(array_keys($houses), 2));
            } else {
                $u = $p = $pick(array_slice($siteNames, 19, 10));
            }
            $req('GET', 'group/addmemberauth.json', array('groupid' => $g, 'username' => $u, 'password' => $p,
                'role' => $pick(array(0, 0, 3, 4)), 'admin_rights' => $pick(array('full', 'full', 'read'))));
        });
        $ops[] = array(8, function () use ($req, $pick, &$made, $profile) {
            $m = $pick($made);
            if ($m) {
                $post = array('groupid' => $m[3], 'userid' => $m[2]) + $profile();
                if (mt_rand(0, 1)) {
                    $post['role'] = (string) $pick(array(0, 3, 4));
                }
                $req('POST', 'group/setuserinfo.json', array(), $post);
            }
        });
        $ops[] = array(5, function () use ($impersonate, $pick, &$made) {
            $m = $pick($made);
            if ($m) {
                $impersonate($m[3], $m[2]);
            }
        });
        $ops[] = array(4, $fullRemove);
        $ops[] = array(4, function () use ($req, $pick, &$made) {
            $m = $pick($made);
            if ($m) {
                $req('GET', 'group/removeuser.json', array('groupid' => $m[3], 'userid' => $m[2]));
            }
        });
        $ops[] = array(4, $editScratch);
        $ops[] = array(4, $deleteScratch);
        $ops[] = array(1, function () use ($req, &$scratch, $forget) {
            $r = $req('GET', 'group/deleteallgroupsfromuser.json');
            if (!empty($r->json['success'])) {
                $forget($scratch);
                $scratch = array();
            }
        });
        $ops[] = array(8, function () use ($getfeed, $feedOf, $me) {
            $getfeed($feedOf($me));
        });
        $ops[] = array(4, function () use ($req) {
            $req('GET', 'group/mygroups.json');
        });
        $ops[] = array(4, function () use ($req) {
            $req('GET', 'group/grouplist.json');
        });
        $ops[] = array(4, function () use ($req, $pick, &$scratch) {
            $g = $pick($scratch);
            if ($g) {
                $req('GET', 'group/userlist.json', array('groupid' => $g));
                $req('GET', 'group/snapshot.json', array('groupid' => $g));
            }
        });
    }
    $total = array_sum(array_column($ops, 0));

    while (microtime(true) < $startAt) {
        usleep(2000);
    }
    while (microtime(true) < $endAt) {
        $x = mt_rand(1, $total);
        foreach ($ops as $op) {
            $x -= $op[0];
            if ($x <= 0) {
                $op[1]();
                break;
            }
        }
    }
    return $records;
}

// ---------------------------------------------------------------------------------------------
// Run the clients
// ---------------------------------------------------------------------------------------------
$db = new TestDb();
$auditStart = (int) @file_get_contents("$stateDir/audit-start");
$serverLogStart = (int) @filesize("$run/server.log");
$emoncmsLogStart = (int) @filesize("$run/log/emoncms.log");
$startAt = microtime(true) + 3.0;   // logins first, then every client starts together
$endAt = $startAt + $seconds;
$children = array();
$db->mysqli->close();
for ($c = 0; $c < $nClients; $c++) {
    $pid = pcntl_fork();
    if ($pid === -1) {
        fwrite(STDERR, "fork failed\n");
        exit(1);
    }
    if ($pid === 0) {
        $records = client_main($c, $personas[$c % count($personas)], $seed, $base, $startAt, $endAt);
        $fh = fopen("$stateDir/requests-$c.jsonl", 'w');
        foreach ($records as $rec) {
            fwrite($fh, load_json($rec) . "\n");
        }
        fclose($fh);
        exit(0);
    }
    $children[$c] = $pid;
}
foreach ($children as $c => $pid) {
    pcntl_waitpid($pid, $status);
    T::ok("client $c exited normally", pcntl_wifexited($status) && pcntl_wexitstatus($status) === 0, "status $status");
}
$db = new TestDb();

$records = array();
foreach ($children as $c => $pid) {
    foreach (file("$stateDir/requests-$c.jsonl", FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: array() as $line) {
        $rec = json_decode($line, true);
        if (isset($rec['error'])) {
            T::ok("client $c started", false, $rec['error']);
            continue;
        }
        $records[] = $rec;
    }
}
usort($records, function ($a, $b) { return $a['t0'] <=> $b['t0']; });
foreach ($records as $i => &$rec) {
    $rec['id'] = $i;
}
unset($rec);

// ---------------------------------------------------------------------------------------------
// Answers, latencies, logs
// ---------------------------------------------------------------------------------------------
$times = array();
$byRoute = array();
foreach ($records as $rec) {
    $times[$rec['route']][] = $rec['ms'];
    $byRoute[$rec['route']][$rec['ok'] ? 'ok' : 'no'] = (isset($byRoute[$rec['route']][$rec['ok'] ? 'ok' : 'no'])
        ? $byRoute[$rec['route']][$rec['ok'] ? 'ok' : 'no'] : 0) + 1;
}
$span = $records ? max(array_column($records, 't1')) - min(array_column($records, 't0')) : 0;
echo latency_table(sprintf('load/%s: %d clients, %.1f s, %d requests (%.0f/s); per route:', getenv('EMONCMS_VERSION'),
    $nClients, $span, count($records), $span > 0 ? count($records) / $span : 0), $times);
$mix = array();
foreach ($byRoute as $route => $n) {
    if (in_array($route, LOAD_WRITE_ROUTES, true)) {
        $mix[] = "$route " . (isset($n['ok']) ? $n['ok'] : 0) . '/' . ((isset($n['ok']) ? $n['ok'] : 0) + (isset($n['no']) ? $n['no'] : 0));
    }
}
echo '  changes accepted/asked: ' . implode(', ', $mix) . "\n";

// How concurrency happened: requests in flight at once (client side), the server's worker
// processes that answered (the [pid] of its log lines), MariaDB's most connections at once.
$events = array();
foreach ($records as $rec) {
    $events[] = array($rec['t0'], 1);
    $events[] = array($rec['t1'], -1);
}
usort($events, function ($a, $b) { return $a[0] <=> $b[0] ?: $a[1] <=> $b[1]; });
$inFlight = 0;
$maxInFlight = 0;
$area = 0.0;
$last = null;
foreach ($events as $e) {
    if ($last !== null) {
        $area += $inFlight * ($e[0] - $last);
    }
    $last = $e[0];
    $inFlight += $e[1];
    $maxInFlight = max($maxInFlight, $inFlight);
}
$workers = array();
foreach (log_lines("$run/server.log", $serverLogStart) as $line) {
    if (preg_match('/^\[(\d+)\] .* Accepted$/', $line, $m)) {
        $workers[$m[1]] = true;
    }
}
$maxConn = $db->row("SHOW GLOBAL STATUS LIKE 'Max_used_connections'");
echo sprintf("  concurrency: requests in flight at once max %d, mean %.1f; %d PHP server processes answered (the workers and the master); MariaDB max connections at once %s\n",
    $maxInFlight, $span > 0 ? $area / $span : 0, count($workers), $maxConn ? $maxConn['Value'] : '?');
T::ok('enough requests ran (' . count($records) . ')', count($records) >= 5 * $nClients);
$errors = array_filter($records, function ($r) { return $r['st'] >= 500 || $r['st'] === 0; });
T::ok('no HTTP 5xx and no failed connection (' . count($records) . ' requests)', !$errors,
    implode("\n", array_map(function ($r) { return "$r[route] $r[st]: " . substr(isset($r['body']) ? $r['body'] : '', 0, 200); },
        array_slice($errors, 0, 10))));
$bad = array_filter($records, function ($r) { return $r['shape'] !== ''; });
T::ok('every answer has its route\'s documented shape', !$bad, implode("\n", array_map(function ($r) {
    return "$r[route] " . load_json($r['q']) . ": $r[shape]: " . substr(isset($r['body']) ? $r['body'] : '', 0, 300);
}, array_slice($bad, 0, 10))));
$noConn = array_filter($records, function ($r) { return in_array($r['route'], LOAD_WRITE_ROUTES, true) && $r['conn'] === 0; });
T::ok('every change names its MariaDB connection (X-Load-Conn)', !$noConn, count($noConn) . ' without');

$php = php_problems(log_lines("$run/server.log", $serverLogStart));
T::ok('no PHP warning, notice or fatal in the server log', !$php, implode("\n", array_slice($php, 0, 10)));
$emoncmsLog = log_lines("$run/log/emoncms.log", $emoncmsLogStart);
$moduleLines = module_log_lines($emoncmsLog);
T::ok('no line of the group module in emoncms.log', !$moduleLines, implode("\n", array_slice($moduleLines, 0, 10)));
$otherWarnings = array_values(array_filter($emoncmsLog, function ($l) { return preg_match('/\|(WARN|ERROR)\|/', $l); }));
if ($otherWarnings) {
    echo '  (emoncms.log has ' . count($otherWarnings) . " WARN/ERROR lines of other files, e.g. {$otherWarnings[0]})\n";
}

// ---------------------------------------------------------------------------------------------
// The audit: who wrote which rows, in which order
// ---------------------------------------------------------------------------------------------
$audit = audit_rows($db, $auditStart);
$byConn = array();
foreach ($records as $rec) {
    if ($rec['conn']) {
        if (isset($byConn[$rec['conn']])) {
            T::ok("connection $rec[conn] named by one request only", false);
        }
        $byConn[$rec['conn']] = $rec['id'];
    }
}
$rowsOf = array();
$unknown = array();
foreach ($audit as $row) {
    $conn = (int) $row['conn'];
    if (!isset($byConn[$conn])) {
        $unknown[] = $row;
        continue;
    }
    $rowsOf[$byConn[$conn]][] = $row;
}
T::ok('every audit row was written by a recorded request (' . count($audit) . ' rows)', !$unknown,
    implode("\n", array_map('load_json', array_slice($unknown, 0, 5))));

$readWrote = array();
$refusedWrote = array();
$accepted = array();
$acceptedEmpty = 0;
foreach ($records as $rec) {
    $has = isset($rowsOf[$rec['id']]);
    $write = in_array($rec['route'], LOAD_WRITE_ROUTES, true);
    if (!$write && $has) {
        $readWrote[] = $rec;
    } elseif ($write && !$rec['ok'] && $has) {
        $refusedWrote[] = $rec;
    } elseif ($write && $rec['ok']) {
        if ($has) {
            $accepted[] = $rec;
        } else {
            $acceptedEmpty++;
        }
    }
}
$describe = function ($rec) use ($rowsOf) {
    return "#$rec[id] $rec[actor]/$rec[auth] $rec[route] " . load_json($rec['p'] ?: $rec['q']) . ' -> ' . substr(isset($rec['body']) ? $rec['body'] : '', 0, 160)
        . (isset($rowsOf[$rec['id']]) ? ' wrote ' . count($rowsOf[$rec['id']]) . ' rows' : '');
};
T::ok('reads wrote nothing', !$readWrote, implode("\n", array_map($describe, array_slice($readWrote, 0, 5))));
T::ok('refused changes wrote nothing', !$refusedWrote, implode("\n", array_map($describe, array_slice($refusedWrote, 0, 5))));
// Every row of one change comes before or after every row of another (the write lock).
$runs = array();
$prev = null;
foreach ($audit as $row) {
    if ((int) $row['conn'] !== $prev) {
        $prev = (int) $row['conn'];
        $runs[$prev] = isset($runs[$prev]) ? $runs[$prev] + 1 : 1;
    }
}
$split = array_filter($runs, function ($n) { return $n > 1; });
T::ok('each accepted change\'s audit rows are contiguous (no interleaving)', !$split,
    'connections with rows in several runs: ' . load_json(array_slice($split, 0, 10, true)));
// Commit order = lock order: a change that ended before another started comes first.
usort($accepted, function ($a, $b) use ($rowsOf) { return $rowsOf[$a['id']][0]['seq'] <=> $rowsOf[$b['id']][0]['seq']; });
$late = array();
for ($i = 0; $i < count($accepted); $i++) {
    for ($j = $i + 1; $j < count($accepted); $j++) {
        if ($accepted[$j]['t1'] < $accepted[$i]['t0']) {
            $late[] = "#{$accepted[$i]['id']} committed before #{$accepted[$j]['id']}, which had ended before it started";
        }
    }
}
T::ok('the commit order agrees with real time', !$late, implode("\n", array_slice($late, 0, 5)));
echo sprintf("  audit: %d rows from %d accepted changes in commit order, %d accepted changes wrote nothing (no row changed)\n",
    count($audit), count($accepted), $acceptedEmpty);
T::ok('the load made changes (' . count($accepted) . ')', count($accepted) >= $nClients);

$replay = array();
foreach ($accepted as $rec) {
    $rec['audit'] = $rowsOf[$rec['id']];
    $replay[] = $rec;
}
file_put_contents("$stateDir/replay.json", load_json($replay));
file_put_contents("$stateDir/final.json", load_json(tables_snapshot($db)));
file_put_contents("$stateDir/records.json", load_json($records));
load_finish('run', $counts);
