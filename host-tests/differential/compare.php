<?php
/*
 * Compares what group 2.0.0 answered with what this project's module answered, step by step, and
 * checks every difference against the allowlist in core/COMPATIBILITY.md (section "Differences
 * measured against 2.0.0 on real emoncms"): an unlisted difference fails, and so does a listed one
 * that no longer occurs on that emoncms version (a stale entry).
 *
 *   php compare.php --version=11.16.8 --allow=core/COMPATIBILITY.md OLD.json OURS.json [--draft]
 *
 * Compared per step: HTTP status, Content-Type, Location, Content-Disposition and body. Bodies
 * that are JSON on both sides are compared structurally, everything else byte for byte.
 *
 * Normalisations — each applied identically to both records, and only where a value
 * legitimately differs between two runs of the same scenario:
 *   N1 base URL: each run serves on its own free port, so `http://127.0.0.1:PORT` in a body
 *      becomes `{base}`.
 *   N2 Location is compared as the path a browser goes to: resolved against the request's URL
 *      and stripped of scheme, host and port (2.0.0 sends `../user/view`, which a browser
 *      resolves to the same page as an absolute URL).
 *   N3 times near "now": a 10-digit unix time within an hour of the moment the run started
 *      becomes `{now}`, a `YYYY-MM-DD HH:MM:SS` date within that hour becomes `{now-date}`
 *      (fullremoveuser's report carries the deletion's time). The seeded data is dated
 *      2026-12-01 and is never near "now" (checked below), so no seeded value is touched.
 *   N4 API keys (32 lower-case hex digits) become `{apikey}`: emoncms generates them at random.
 *   N5 Content-Type: lower case, spaces after `;` removed (`text/plain;charset=UTF-8` is the
 *      same header as `text/plain; charset=UTF-8`).
 *   N6 JSON: object key order is ignored and numbers compare by value (100 and 100.0 are the same
 *      JavaScript number); `{}` and `[]`, a string and a number, true and 1 stay different.
 * Session cookies are not compared at all (Set-Cookie is not recorded). Passwords are chosen by
 * the scenario, never generated, so they need no normalisation.
 */
if (PHP_SAPI !== 'cli') {
    exit(1);
}
error_reporting(E_ALL);
ini_set('display_errors', 'stderr');

$opts = getopt('', array('version:', 'allow:', 'draft', 'verbose'), $rest);
$files = array_slice($argv, $rest);
if (!isset($opts['version'], $opts['allow']) || count($files) !== 2) {
    fwrite(STDERR, "usage: php compare.php --version=V --allow=COMPATIBILITY.md OLD.json OURS.json [--draft]\n");
    exit(2);
}
$version = $opts['version'];
$label = "differential/emoncms-$version";
const SEEDED_UNTIL = 1796169600; // 2026-12-02 00:00:00 UTC: the last seeded datapoint is before

function load_record($file)
{
    $r = json_decode((string) file_get_contents($file), true);
    if (!is_array($r) || !isset($r['steps'], $r['base'], $r['started'])) {
        fwrite(STDERR, "compare: $file is not a scenario record\n");
        exit(2);
    }
    if ($r['started'] - 3600 <= SEEDED_UNTIL) {
        fwrite(STDERR, "compare: $file was recorded within an hour of the seeded data; N3 would be ambiguous\n");
        exit(2);
    }
    return $r;
}

function normalise_text($text, array $record)
{
    $host = rtrim($record['base'], '/');
    $text = str_replace($host, '{base}', $text);                                           // N1
    $started = $record['started'];
    $text = preg_replace_callback('/(?<![0-9])[0-9]{10}(?![0-9])/', function ($m) use ($started) {
        return abs((int) $m[0] - $started) <= 3600 ? '{now}' : $m[0];                      // N3
    }, $text);
    $text = preg_replace_callback('/\b[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\b/', function ($m) use ($started) {
        $t = strtotime($m[0] . ' UTC');
        return $t !== false && abs($t - $started) <= 3600 ? '{now-date}' : $m[0];
    }, $text);
    return preg_replace('/\b[0-9a-f]{32}\b/', '{apikey}', $text);                          // N4
}

function normalise_location($location, $requestPath, array $record)
{
    if ($location === null) {
        return null;
    }
    $host = rtrim($record['base'], '/');
    if (strpos($location, $host) === 0) {
        $path = substr($location, strlen($host));
    } elseif (preg_match('#^[a-z]+://#i', $location)) {
        return $location;
    } elseif ($location !== '' && $location[0] === '/') {
        $path = $location;
    } else {
        // relative: against the directory of the request's path
        $dir = preg_replace('#/[^/]*$#', '/', (string) parse_url($requestPath, PHP_URL_PATH));
        $path = $dir . $location;
    }
    $out = array();
    foreach (explode('/', $path) as $seg) {
        if ($seg === '..') {
            array_pop($out);
        } elseif ($seg !== '.') {
            $out[] = $seg;
        }
    }
    $resolved = implode('/', $out);
    return $resolved === '' || $resolved[0] !== '/' ? '/' . $resolved : $resolved;
}

function normalise_step(array $s, array $record)
{
    $requestPath = preg_replace('/^[A-Z]+ /', '', $s['request']);
    return array(
        'status' => $s['status'],
        'content_type' => $s['content_type'] === null ? null : strtolower(preg_replace('/;\s+/', ';', $s['content_type'])), // N5
        'location' => normalise_location($s['location'], $requestPath, $record),
        'disposition' => $s['disposition'] === null ? null : normalise_text($s['disposition'], $record),
        'body' => normalise_text($s['body'], $record),
    );
}

/** JSON value or a marker that it is not JSON. */
function as_json($body)
{
    $t = trim($body);
    if ($t === '') {
        return array(false, null);
    }
    $v = json_decode($t);
    if ($v === null && $t !== 'null') {
        return array(false, null);
    }
    return array(true, $v);
}

/** N6: structural equality. */
function same_json($a, $b)
{
    if ((is_int($a) || is_float($a)) && (is_int($b) || is_float($b))) {
        return $a == $b;
    }
    if (is_object($a) && is_object($b)) {
        $va = get_object_vars($a);
        $vb = get_object_vars($b);
        if (count($va) !== count($vb)) {
            return false;
        }
        foreach ($va as $k => $v) {
            if (!array_key_exists($k, $vb) || !same_json($v, $vb[$k])) {
                return false;
            }
        }
        return true;
    }
    if (is_array($a) && is_array($b)) {
        if (count($a) !== count($b)) {
            return false;
        }
        foreach ($a as $i => $v) {
            if (!same_json($v, $b[$i])) {
                return false;
            }
        }
        return true;
    }
    return $a === $b;
}

/**
 * For the report only (the verdict is same_json's): where two JSON values differ, as paths.
 * Arrays of objects carrying `userid`, `groupid` or `id` are aligned by that key, so an order
 * difference shows as `order` and not as every element differing.
 */
function json_paths($a, $b, $path, array &$out)
{
    if (count($out) >= 12 || same_json($a, $b)) {
        return;
    }
    if (is_array($a) && is_array($b)) {
        foreach (array('userid', 'groupid', 'id') as $key) {
            $ka = keyed($a, $key);
            $kb = keyed($b, $key);
            if ($ka !== null && $kb !== null) {
                if (array_keys($ka) !== array_keys($kb)) {
                    $out[] = "$path order of $key: " . implode(',', array_keys($ka)) . ' vs ' . implode(',', array_keys($kb));
                }
                foreach ($ka + $kb as $k => $_) {
                    json_paths(isset($ka[$k]) ? $ka[$k] : '(absent)', isset($kb[$k]) ? $kb[$k] : '(absent)', "{$path}[$key=$k]", $out);
                }
                return;
            }
        }
        for ($i = 0; $i < max(count($a), count($b)); $i++) {
            json_paths(array_key_exists($i, $a) ? $a[$i] : '(absent)', array_key_exists($i, $b) ? $b[$i] : '(absent)', "{$path}[$i]", $out);
        }
        return;
    }
    if (is_object($a) && is_object($b)) {
        foreach (get_object_vars($a) + get_object_vars($b) as $k => $_) {
            json_paths(property_exists($a, $k) ? $a->$k : '(absent)', property_exists($b, $k) ? $b->$k : '(absent)', "$path.$k", $out);
        }
        return;
    }
    $out[] = "$path: " . json_encode($a, JSON_UNESCAPED_SLASHES) . ' vs ' . json_encode($b, JSON_UNESCAPED_SLASHES);
}

function keyed(array $list, $key)
{
    $out = array();
    foreach ($list as $v) {
        if (!is_object($v) || !property_exists($v, $key) || !is_scalar($v->$key) || isset($out[(string) $v->$key])) {
            return null;
        }
        $out[(string) $v->$key] = $v;
    }
    return $list ? $out : null;
}

function json_detail($bodyA, $bodyB)
{
    list($ja, $va) = as_json($bodyA);
    list($jb, $vb) = as_json($bodyB);
    if (!$ja || !$jb) {
        return '';
    }
    $out = array();
    json_paths($va, $vb, '', $out);
    return $out ? "     where: " . implode("\n            ", array_map(function ($l) {
        return strlen($l) > 200 ? substr($l, 0, 200) . '…' : $l;
    }, $out)) . "\n" : '';
}

/** Which aspects differ, with a first point of difference in the body. */
function differences(array $a, array $b)
{
    $diff = array();
    foreach (array('status', 'content_type', 'location', 'disposition') as $k) {
        if ($a[$k] !== $b[$k]) {
            $diff[] = $k;
        }
    }
    list($ja, $va) = as_json($a['body']);
    list($jb, $vb) = as_json($b['body']);
    if ($ja && $jb) {
        if (!same_json($va, $vb)) {
            $diff[] = 'body(json)';
        }
    } elseif ($a['body'] !== $b['body']) {
        $diff[] = 'body';
    }
    return $diff;
}

function summary(array $s)
{
    $body = str_replace(array("\r", "\n"), array('\\r', '\\n'), $s['body']);
    if (strlen($body) > 160) {
        $body = substr($body, 0, 160) . '…(' . strlen($s['body']) . ' bytes)';
    }
    $head = $s['status'] . ' ' . ($s['content_type'] ?: '-');
    if ($s['location'] !== null) {
        $head .= ' → ' . $s['location'];
    }
    if ($s['disposition'] !== null) {
        $head .= ' [' . $s['disposition'] . ']';
    }
    return $head . ' ' . ($body === '' ? '(empty)' : $body);
}

/** The allowlist: step id => true for rows whose version column names $version. */
function load_allowlist($file, $version)
{
    $text = (string) file_get_contents($file);
    $pos = strpos($text, "\n## Differences measured against 2.0.0 on real emoncms");
    if ($pos === false) {
        fwrite(STDERR, "compare: $file has no section \"Differences measured against 2.0.0 on real emoncms\"\n");
        exit(2);
    }
    $section = substr($text, $pos + 1);
    $next = strpos($section, "\n## ");
    if ($next !== false) {
        $section = substr($section, 0, $next);
    }
    $allowed = array();
    foreach (explode("\n", $section) as $line) {
        if (!preg_match('/^\|(.*)\|\s*$/', $line, $m)) {
            continue;
        }
        $cells = array_map('trim', explode('|', $m[1]));
        if (count($cells) < 5 || $cells[0] === 'step' || preg_match('/^-+$/', $cells[0])) {
            continue;
        }
        $versions = array_map('trim', explode(',', str_replace('`', '', $cells[1])));
        if (!in_array($version, $versions, true)) {
            continue;
        }
        foreach (explode(',', str_replace('`', '', $cells[0])) as $id) {
            $allowed[trim($id)] = true;
        }
    }
    return $allowed;
}

$old = load_record($files[0]);
$ours = load_record($files[1]);
$allowed = load_allowlist($opts['allow'], $version);

$passed = 0;
$failed = 0;
$measured = array();
if (count($old['steps']) !== count($ours['steps'])) {
    echo "FAIL the two records have different step counts\n";
    $failed++;
}
foreach ($old['steps'] as $i => $so) {
    if (!isset($ours['steps'][$i]) || $ours['steps'][$i]['id'] !== $so['id'] || $ours['steps'][$i]['request'] !== $so['request']) {
        echo "FAIL {$so['id']}: the two runs did not send the same request\n";
        $failed++;
        continue;
    }
    $a = normalise_step($so, $old);
    $b = normalise_step($ours['steps'][$i], $ours);
    $diff = differences($a, $b);
    $id = $so['id'];
    if (!$diff) {
        if (isset($allowed[$id])) {
            echo "FAIL $id: listed as a difference on $version but both answer " . summary($a) . " (stale entry)\n";
            $failed++;
        } else {
            $passed++;
        }
        continue;
    }
    $measured[] = array($id, $a, $b, $diff);
    if (isset($allowed[$id])) {
        $passed++;
        echo "listed $id (" . implode(', ', $diff) . ")\n";
        if (isset($opts['verbose'])) {
            echo "     2.0.0: " . summary($a) . "\n     ours:  " . summary($b) . "\n" . json_detail($a['body'], $b['body']);
        }
    } else {
        $failed++;
        echo "FAIL $id: unlisted difference in " . implode(', ', $diff) . "\n     request {$so['request']}\n"
            . "     2.0.0: " . summary($a) . "\n     ours:  " . summary($b) . "\n" . json_detail($a['body'], $b['body']);
    }
}
foreach ($allowed as $id => $_) {
    $known = false;
    foreach ($old['steps'] as $s) {
        $known = $known || $s['id'] === $id;
    }
    if (!$known) {
        echo "FAIL $id: listed for $version but the scenario has no such step (stale entry)\n";
        $failed++;
    }
}
if (isset($opts['draft'])) {
    foreach ($measured as $m) {
        echo "| `{$m[0]}` | $version | " . str_replace('|', '\\|', summary($m[1])) . ' | '
            . str_replace('|', '\\|', summary($m[2])) . " | |\n";
    }
}
echo "$label: $passed passed, $failed failed\n";
exit($failed === 0 ? 0 : 1);
