<?php
// The PHP door's conformance runner: replays every vector file (host-tests/vectors/FORMAT.md)
// through `EmonGroups\call`, the wire function of the `emongroups` extension.
//
//   php -n -d extension=target/release/libemongroups_php.so host-tests/php/conformance.php [vectors-dir]
//
// JSON is decoded with objects as stdClass, never as associative arrays: `{}` and `[]` must stay
// distinguishable both in what we send and in what we compare. Numbers compare as numbers
// (1 equals 1.0); object key order is ignored. PHP reads integers beyond 64 bits as floats, so a
// vector with such a number could only be replayed approximately; none of the profiles uses one.

declare(strict_types=1);

const FORMAT = 'emongroups-vectors/1';

final class LoadError extends \RuntimeException {}

/** Every *.json below $dir as [relative path with '/', full path], sorted by relative path. */
function vector_files(string $dir): array
{
    $found = [];
    if (!is_dir($dir)) {
        return $found;
    }
    $walk = function (string $dir, string $prefix) use (&$walk, &$found): void {
        $names = scandir($dir);
        if ($names === false) {
            throw new \RuntimeException("cannot list {$dir}");
        }
        foreach ($names as $name) {
            if ($name === '.' || $name === '..') {
                continue;
            }
            $path = "{$dir}/{$name}";
            if (is_dir($path)) {
                $walk($path, "{$prefix}{$name}/");
            } elseif (str_ends_with($name, '.json')) {
                $found[] = ["{$prefix}{$name}", $path];
            }
        }
    };
    $walk(rtrim($dir, '/'), '');
    // Byte order, as the other runners sort.
    usort($found, fn ($a, $b) => strcmp($a[0], $b[0]));
    return $found;
}

function decode(string $text): mixed
{
    return json_decode($text, false, 512, JSON_THROW_ON_ERROR);
}

function encode(mixed $value): string
{
    return json_encode(
        $value,
        JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION
    );
}

/** Takes a required key off a decoded object. */
function take(\stdClass $object, string $key, string $whose): mixed
{
    if (!property_exists($object, $key)) {
        throw new LoadError("{$whose} lacks `{$key}`");
    }
    $value = $object->{$key};
    unset($object->{$key});
    return $value;
}

function take_string(\stdClass $object, string $key, string $whose): string
{
    $value = take($object, $key, $whose);
    if (!is_string($value)) {
        throw new LoadError("`{$key}` of {$whose} must be a string");
    }
    return $value;
}

function reject_unknown(\stdClass $object, string $whose): void
{
    foreach (get_object_vars($object) as $key => $_) {
        throw new LoadError("{$whose} has an unknown key `{$key}`");
    }
}

/** Loads a vector file strictly: unknown keys in the file or in a step are errors. */
function load_vector_file(string $text): array
{
    try {
        $top = decode($text);
    } catch (\JsonException $e) {
        throw new LoadError('not JSON: ' . $e->getMessage());
    }
    if (!($top instanceof \stdClass)) {
        throw new LoadError('a vector file is a JSON object');
    }
    $format = take_string($top, 'format', 'the file');
    if ($format !== FORMAT) {
        throw new LoadError("`format` is `{$format}`, this runner reads `" . FORMAT . '`');
    }
    $profile = take_string($top, 'profile', 'the file');
    $title = take_string($top, 'title', 'the file');
    $covers = property_exists($top, 'covers') ? take($top, 'covers', 'the file') : [];
    if (!is_array($covers) || array_filter($covers, fn ($c) => !is_string($c)) !== []) {
        throw new LoadError('`covers` must be an array of strings');
    }
    $state = take($top, 'state', 'the file');
    if (!($state instanceof \stdClass)) {
        throw new LoadError('`state` must be an object');
    }
    $raw_steps = take($top, 'steps', 'the file');
    if (!is_array($raw_steps)) {
        throw new LoadError('`steps` must be an array');
    }
    reject_unknown($top, 'the file');
    $steps = [];
    foreach ($raw_steps as $i => $step) {
        try {
            $steps[] = load_step($step);
        } catch (LoadError $e) {
            throw new LoadError('step ' . ($i + 1) . ': ' . $e->getMessage());
        }
    }
    return ['profile' => $profile, 'title' => $title, 'covers' => $covers, 'state' => $state, 'steps' => $steps];
}

function load_step(mixed $step): array
{
    if (!($step instanceof \stdClass)) {
        throw new LoadError('a step is a JSON object');
    }
    $name = take_string($step, 'name', 'a step');
    $request = take($step, 'request', 'a step');
    if (!($request instanceof \stdClass)) {
        throw new LoadError("step `{$name}`: `request` must be an object");
    }
    foreach (['v', 'profile', 'state'] as $reserved) {
        if (property_exists($request, $reserved)) {
            throw new LoadError("step `{$name}`: a request never contains `{$reserved}` (the runner adds it)");
        }
    }
    $expect = take($step, 'expect', 'a step');
    $apply = true;
    if (property_exists($step, 'apply')) {
        $apply = take($step, 'apply', 'a step');
        if (!is_bool($apply)) {
            throw new LoadError("step `{$name}`: `apply` must be a boolean");
        }
    }
    reject_unknown($step, "step `{$name}`");
    return ['name' => $name, 'request' => $request, 'expect' => $expect, 'apply' => $apply];
}

/**
 * Where $actual first differs from $expected, as a `$.a[0].b` path, or null when they are equal
 * as the vectors define it: objects by key set and values (order ignored), arrays item by item,
 * numbers as numbers, everything else by type and value. An object never equals an array, so
 * `{}` and `[]` differ.
 */
function first_difference(mixed $expected, mixed $actual, string $at): ?string
{
    $is_number = fn ($x) => is_int($x) || is_float($x);
    if ($is_number($expected) && $is_number($actual)) {
        return $expected == $actual ? null : $at;
    }
    if (is_array($expected) && is_array($actual)) {
        if (count($expected) !== count($actual)) {
            return "{$at} (array of " . count($actual) . ' items, expected ' . count($expected) . ')';
        }
        // Decoded JSON arrays are lists: keys 0 … n-1.
        foreach ($expected as $i => $item) {
            $found = first_difference($item, $actual[$i], "{$at}[{$i}]");
            if ($found !== null) {
                return $found;
            }
        }
        return null;
    }
    if ($expected instanceof \stdClass && $actual instanceof \stdClass) {
        $x = get_object_vars($expected);
        $y = get_object_vars($actual);
        foreach ($x as $key => $_) {
            if (!array_key_exists($key, $y)) {
                return "{$at}.{$key} (missing)";
            }
        }
        foreach ($y as $key => $_) {
            if (!array_key_exists($key, $x)) {
                return "{$at}.{$key} (not expected)";
            }
        }
        foreach ($x as $key => $value) {
            $found = first_difference($value, $y[$key], "{$at}.{$key}");
            if ($found !== null) {
                return $found;
            }
        }
        return null;
    }
    return $expected === $actual ? null : $at;
}

/** Replays one file; returns [passed, failed]. */
function replay_file(string $relative, array $file): array
{
    $passed = 0;
    $failed = 0;
    $state = $file['state'];
    foreach ($file['steps'] as $step) {
        $request = new \stdClass();
        $request->v = 1;
        $request->profile = $file['profile'];
        foreach (get_object_vars($step['request']) as $key => $value) {
            $request->{$key} = $value;
        }
        $request->state = $state;
        $answer_text = EmonGroups\call(encode($request));
        $report = function (string $why, string $actual) use ($relative, $step, $request): void {
            $shown = clone $request;
            $shown->state = '<the file\'s state after the earlier steps>';
            echo "FAIL {$relative} / step `{$step['name']}`: {$why}\n";
            echo '  request:  ', encode($shown), "\n";
            echo '  expected: ', encode($step['expect']), "\n";
            echo "  actual:   {$actual}\n";
        };
        try {
            $answer = decode($answer_text);
        } catch (\JsonException $e) {
            $report('the answer is not JSON (' . $e->getMessage() . ')', $answer_text);
            $failed++;
            continue;
        }
        $ok = true;
        $at = first_difference($step['expect'], $answer, '$');
        if ($at !== null) {
            $report("the answer differs at {$at}", $answer_text);
            $ok = false;
        }
        $changes = ($answer instanceof \stdClass && ($answer->result ?? null) instanceof \stdClass)
            ? ($answer->result->changes ?? null)
            : null;
        if ($step['apply'] && ($answer->ok ?? null) === true && is_array($changes) && $changes !== []) {
            $apply = ['v' => 1, 'op' => 'apply', 'profile' => $file['profile'], 'state' => $state, 'changes' => $changes];
            $applied_text = EmonGroups\call(encode($apply));
            $applied = null;
            try {
                $applied = decode($applied_text);
            } catch (\JsonException) {
            }
            if ($applied instanceof \stdClass && ($applied->ok ?? null) === true
                && ($applied->result ?? null) instanceof \stdClass
                && ($applied->result->state ?? null) instanceof \stdClass) {
                $state = $applied->result->state;
            } else {
                if ($ok) {
                    $report('applying the answer\'s changes failed', $applied_text);
                } else {
                    echo "  applying the changes failed too: {$applied_text}\n";
                }
                $ok = false;
            }
        }
        $ok ? $passed++ : $failed++;
    }
    return [$passed, $failed];
}

/** Checks of the runner itself: a comparison that cannot fail would pass every vector. */
function self_test(): void
{
    $same = fn ($a, $b) => first_difference(decode($a), decode($b), '$') === null;
    $cases = [
        [true, '{"a":1,"b":[1.0,2]}', '{"b":[1,2.0],"a":1.0}'],
        [false, '{}', '[]'],
        [false, '{"a":{}}', '{"a":[]}'],
        [false, '{"a":1}', '{"a":1.5}'],
        [false, '{"a":1}', '{"a":"1"}'],
        [false, '{"a":1}', '{"a":1,"b":null}'],
        [false, '{"a":true}', '{"a":1}'],
        [false, '[1,2]', '[2,1]'],
        [false, '{"0":1}', '[1]'],
        [true, '{"0":1,"x":[]}', '{"x":[],"0":1}'],
    ];
    foreach ($cases as [$equal, $a, $b]) {
        if ($same($a, $b) !== $equal) {
            throw new \LogicException("the runner's comparison is wrong on {$a} vs {$b}");
        }
    }
    $strict = '{"format":"emongroups-vectors/1","profile":"emoncms","title":"t","state":{},'
        . '"steps":[{"name":"s","request":{"op":"version"},"expect":{}}]}';
    load_vector_file($strict);
    foreach ([
        str_replace('"title":"t"', '"title":"t","extra":1', $strict),
        str_replace('"expect":{}', '"expect":{},"note":"x"', $strict),
        str_replace('{"op":"version"}', '{"op":"version","state":{}}', $strict),
        str_replace('"state":{}', '"state":[]', $strict),
        str_replace('vectors/1', 'vectors/2', $strict),
    ] as $bad) {
        try {
            load_vector_file($bad);
        } catch (LoadError) {
            continue;
        }
        throw new \LogicException("the runner loaded a file it must reject: {$bad}");
    }
}

if (!function_exists('EmonGroups\call')) {
    echo "FAIL the emongroups extension is not loaded (php -d extension=…/libemongroups_php.so)\n";
    echo "conformance/php: 0 passed, 1 failed\n";
    exit(1);
}

self_test();

$dir = $argv[1] ?? dirname(__DIR__) . '/vectors';
$passed = 0;
$failed = 0;
try {
    $files = vector_files($dir);
} catch (\RuntimeException $e) {
    echo "FAIL {$dir}: cannot list vector files: ", $e->getMessage(), "\n";
    $files = [];
    $failed++;
}
foreach ($files as [$relative, $path]) {
    $text = @file_get_contents($path);
    try {
        if ($text === false) {
            throw new LoadError('cannot read it');
        }
        $file = load_vector_file($text);
    } catch (LoadError $e) {
        echo "FAIL {$relative}: the file could not be loaded: ", $e->getMessage(), "\n";
        $failed++;
        continue;
    }
    [$p, $f] = replay_file($relative, $file);
    $passed += $p;
    $failed += $f;
}
echo "conformance/php: {$passed} passed, {$failed} failed\n";
exit($failed > 0 ? 1 : 0);
