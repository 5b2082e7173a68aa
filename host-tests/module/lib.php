<?php
/*
 * Helpers of the module tests: a tiny HTTP client with a cookie jar (PHP streams, loopback only),
 * checks that count, and direct database access through the demo host's settings.
 */

class T
{
    public static $passed = 0;
    public static $failed = 0;
    public static $responses = 0;
    public static $noisy = array();

    public static function ok($name, $condition, $detail = '')
    {
        if ($condition) {
            self::$passed++;
            return true;
        }
        self::$failed++;
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

    public function __construct($base)
    {
        $this->base = rtrim($base, '/') . '/';
    }

    public function login($username, $password)
    {
        $r = $this->post('user/login.json', array(), array('username' => $username, 'password' => $password));
        T::ok("login $username", is_array($r->json) && !empty($r->json['success']), $r->body);
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
