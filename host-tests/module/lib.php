<?php
/*
 * Helpers of the module tests: a tiny HTTP client with a cookie jar (PHP streams, loopback only),
 * checks that count, direct access to the run's MariaDB (EMONCMS_MYSQL_*), and faults injected
 * into it by test-only triggers.
 */

class T
{
    public static $passed = 0;
    public static $failed = 0;
    /** The suite checks count toward now, and each suite's [passed, failed]. */
    public static $suite = 'module';
    public static $suites = array();

    /** Checks from here on count toward $name (e.g. `security`: the closing line of its own). */
    public static function suite($name)
    {
        self::$suite = $name;
    }

    /** "NAME: N passed, M failed" for one suite. */
    public static function closing($suite, $label)
    {
        $c = isset(self::$suites[$suite]) ? self::$suites[$suite] : array(0, 0);
        return "$label: $c[0] passed, $c[1] failed";
    }
    public static $responses = 0;
    public static $noisy = array();

    public static function ok($name, $condition, $detail = '')
    {
        if (!isset(self::$suites[self::$suite])) {
            self::$suites[self::$suite] = array(0, 0);
        }
        if ($condition) {
            self::$passed++;
            self::$suites[self::$suite][0]++;
            return true;
        }
        self::$failed++;
        self::$suites[self::$suite][1]++;
        echo "FAIL: $name\n";
        if ($detail !== '') {
            echo '      ' . str_replace("\n", "\n      ", rtrim($detail)) . "\n";
        }
        return false;
    }

    /** Deep equality of decoded JSON (key order ignored). */
    public static function eq($name, $actual, $expected)
    {
        return self::ok($name, $actual == $expected && gettype($actual) === gettype($expected),
            'expected ' . json_encode($expected, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)
            . "\n got      " . json_encode($actual, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));
    }

    /** A `{"success":false,"message":…}` answer, as JSON, with status 200. */
    public static function fails($name, Response $r, $message)
    {
        self::ok("$name: JSON content type", strpos($r->header('content-type'), 'application/json') === 0,
            'content-type ' . $r->header('content-type') . ', body ' . substr($r->body, 0, 300));
        return self::eq($name, $r->json, array('success' => false, 'message' => $message));
    }

    /** A setuser failure: text/plain `ERROR: …`. */
    public static function text($name, Response $r, $text)
    {
        self::ok("$name: text content type", strpos($r->header('content-type'), 'text/plain') === 0,
            'content-type ' . $r->header('content-type'));
        return self::eq($name, $r->body, $text);
    }
}

class Response
{
    public $status = 0;
    public $headers = array();
    public $body = '';
    public $json = null;
    public $object = null;

    public function header($name)
    {
        $name = strtolower($name);
        return isset($this->headers[$name]) ? $this->headers[$name] : '';
    }
}

class Client
{
    private $base;
    public $cookies = array();
    public $headers = array();
    /** The session's request token (X-Emongroups-Csrf of any group answer), sent with every request. */
    public $csrf = '';
    /** false: never send the token (a cross-site request). */
    public $sendCsrf = true;

    public function __construct($base)
    {
        $this->base = rtrim($base, '/') . '/';
    }

    public function login($username, $password)
    {
        $r = $this->post('user/login.json', array(), array('username' => $username, 'password' => $password));
        T::ok("login $username", is_array($r->json) && !empty($r->json['success']), $r->body);
        $this->get('group/grouplist.json');   // as the page: the session's request token comes with it
        return $this;
    }

    public function get($path, $query = array(), array $headers = array())
    {
        return $this->request('GET', $path, $query, null, $headers);
    }

    public function post($path, $query = array(), $body = array(), array $headers = array())
    {
        return $this->request('POST', $path, $query, $body, $headers);
    }

    /** $query: an array (http_build_query) or a raw query string. */
    public function request($method, $path, $query = array(), $body = null, array $headers = array())
    {
        $qs = is_string($query) ? $query : http_build_query($query);
        $url = $this->base . $path . ($qs !== '' ? '?' . $qs : '');
        $lines = array_merge($this->headers, $headers);
        if ($this->csrf !== '' && $this->sendCsrf) {
            $lines[] = 'X-Emongroups-Csrf: ' . $this->csrf;
        }
        if ($this->cookies) {
            $pairs = array();
            foreach ($this->cookies as $k => $v) {
                $pairs[] = "$k=$v";
            }
            $lines[] = 'Cookie: ' . implode('; ', $pairs);
        }
        $content = '';
        if ($body !== null) {
            $content = is_string($body) ? $body : http_build_query($body);
            $lines[] = 'Content-Type: application/x-www-form-urlencoded';
        }
        $context = stream_context_create(array('http' => array(
            'method' => $method, 'header' => implode("\r\n", $lines), 'content' => $content,
            'ignore_errors' => true, 'follow_location' => 0, 'timeout' => 60, 'protocol_version' => 1.0,
        )));
        $http_response_header = array();
        $raw = @file_get_contents($url, false, $context);
        $r = new Response();
        $r->body = $raw === false ? '' : $raw;
        foreach ($http_response_header as $i => $line) {
            if ($i === 0) {
                $r->status = (int) explode(' ', $line)[1];
                continue;
            }
            $parts = explode(':', $line, 2);
            if (count($parts) !== 2) {
                continue;
            }
            $name = strtolower(trim($parts[0]));
            $value = trim($parts[1]);
            if ($name === 'set-cookie') {
                $pair = explode(';', $value)[0];
                list($k, $v) = array_pad(explode('=', $pair, 2), 2, '');
                if ($v === 'deleted' || $v === '') {
                    unset($this->cookies[$k]);
                } else {
                    $this->cookies[$k] = $v;
                }
            }
            $r->headers[$name] = $value;
            if ($name === 'x-emongroups-csrf') {
                $this->csrf = $value;
            }
        }
        $r->json = json_decode($r->body, true);
        $r->object = json_decode($r->body);
        T::$responses++;
        if (preg_match('/(Warning|Notice|Deprecated|Fatal error|Parse error)(<\/b>)?:/', $r->body)) {
            T::$noisy[] = "$method $path?$qs: " . substr($r->body, 0, 400);
        }
        return $r;
    }
}

/** Several requests at once (curl processes), to race them against each other. */
function parallel(array $requests)
{
    $procs = array();
    foreach ($requests as $i => $req) {
        $args = array('curl', '-s', '-D', '-', '--max-time', '60');
        foreach ($req['headers'] as $h) {
            $args[] = '-H';
            $args[] = $h;
        }
        $args[] = $req['url'];
        $cmd = implode(' ', array_map('escapeshellarg', $args));
        $pipes = array();
        $procs[$i] = array(proc_open($cmd, array(1 => array('pipe', 'w'), 2 => array('pipe', 'w')), $pipes), $pipes);
    }
    $out = array();
    foreach ($procs as $i => $p) {
        $text = stream_get_contents($p[1][1]);
        fclose($p[1][1]);
        fclose($p[1][2]);
        proc_close($p[0]);
        $split = preg_split("/\r\n\r\n/", $text, 2);
        $out[$i] = json_decode(isset($split[1]) ? $split[1] : '', true);
    }
    return $out;
}

/**
 * One request started in the background (a curl process; a POST of $post's fields when given); the
 * returned function waits for it and gives [status, headers text, body].
 */
function background($url, array $headers = array(), array $post = null)
{
    $args = array('curl', '-s', '-D', '-', '--max-time', '60');
    if ($post !== null) {
        $args[] = '--data';
        $args[] = http_build_query($post);
    }
    foreach ($headers as $h) {
        $args[] = '-H';
        $args[] = $h;
    }
    $args[] = $url;
    $pipes = array();
    $proc = proc_open(implode(' ', array_map('escapeshellarg', $args)), array(1 => array('pipe', 'w'), 2 => array('pipe', 'w')), $pipes);
    return function () use ($proc, $pipes) {
        $text = stream_get_contents($pipes[1]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        proc_close($proc);
        $split = preg_split("/\r\n\r\n/", $text, 2);
        $status = preg_match('#^HTTP/\S+ (\d+)#', $text, $m) ? (int) $m[1] : 0;
        return array($status, $split[0], isset($split[1]) ? $split[1] : '');
    };
}

/** The run's MariaDB over 127.0.0.1 (EMONCMS_MYSQL_*), prepared statements, native types. */
class TestDb
{
    public $mysqli;

    public function __construct()
    {
        mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
        $this->mysqli = new mysqli('127.0.0.1', getenv('EMONCMS_MYSQL_USER'), getenv('EMONCMS_MYSQL_PASSWORD'),
            getenv('EMONCMS_MYSQL_DATABASE'), (int) getenv('EMONCMS_MYSQL_PORT'));
    }

    public function rows($sql, array $params = array())
    {
        $stmt = $this->mysqli->prepare($sql);
        if ($params) {
            $stmt->bind_param(str_repeat('s', count($params)), ...array_map('strval', $params));
        }
        $stmt->execute();
        $result = $stmt->get_result();
        return $result === false ? array() : $result->fetch_all(MYSQLI_ASSOC);
    }

    public function row($sql, array $params = array())
    {
        $rows = $this->rows($sql, $params);
        return $rows ? $rows[0] : null;
    }

    public function run($sql, array $params = array())
    {
        $this->rows($sql, $params);
    }

    /**
     * Test-only fault injection: a control table and BEFORE triggers on `groups`, group_users and
     * users that call eg_fault_check(table, op). A row (tbl, op, action, skip) makes the
     * (skip+1)-th row statement on that table fail with SQLSTATE 45000 (once: the row is removed
     * first; the control table is MyISAM so that removal survives the failing statement), or
     * sleep 0.8 s (action 'sleep', every time until cleared).
     */
    public function installFaults()
    {
        $m = $this->mysqli;
        $m->query('CREATE TABLE IF NOT EXISTS eg_fault (tbl VARCHAR(32), op VARCHAR(8), action VARCHAR(8), skip INT NOT NULL DEFAULT 0) ENGINE=MyISAM');
        $m->query('DROP PROCEDURE IF EXISTS eg_fault_check');
        $m->query("CREATE PROCEDURE eg_fault_check(IN t VARCHAR(32), IN o VARCHAR(8))
            BEGIN
              DECLARE a VARCHAR(8) DEFAULT NULL;
              SET a = (SELECT action FROM eg_fault WHERE tbl = t AND op = o AND skip = 0 LIMIT 1);
              UPDATE eg_fault SET skip = skip - 1 WHERE tbl = t AND op = o AND skip > 0;
              IF a = 'fail' THEN
                DELETE FROM eg_fault WHERE tbl = t AND op = o AND action = 'fail' AND skip = 0;
                SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'emongroups test fault';
              END IF;
              IF a = 'sleep' THEN
                DO SLEEP(0.8);
              END IF;
            END");
        foreach (array('groups', 'group_users', 'users') as $table) {
            foreach (array('insert', 'update', 'delete') as $op) {
                $m->query("DROP TRIGGER IF EXISTS eg_{$table}_$op");
                $m->query("CREATE TRIGGER eg_{$table}_$op BEFORE " . strtoupper($op) . " ON `$table` FOR EACH ROW CALL eg_fault_check('$table', '$op')");
            }
        }
    }

    public function fault($table, $op, $action = 'fail', $skip = 0)
    {
        $this->run('INSERT INTO eg_fault (tbl, op, action, skip) VALUES (?, ?, ?, ?)', array($table, $op, $action, $skip));
    }

    public function clearFaults()
    {
        $this->mysqli->query('DELETE FROM eg_fault');
    }

    public function removeFaults()
    {
        foreach (array('groups', 'group_users', 'users') as $table) {
            foreach (array('insert', 'update', 'delete') as $op) {
                $this->mysqli->query("DROP TRIGGER IF EXISTS eg_{$table}_$op");
            }
        }
        $this->mysqli->query('DROP PROCEDURE IF EXISTS eg_fault_check');
        $this->mysqli->query('DROP TABLE IF EXISTS eg_fault');
    }
}
