<?php
// A Rust panic never reaches PHP. Needs the extension built with the test feature `panic-probe`
// (scripts/test-php.sh builds that copy), whose `EmonGroups\panicProbe()` panics inside the same
// guards every exported function uses. The panic message on stderr is expected.
//
//   php -n -d extension=…/libemongroups_php.so host-tests/php/panic.php

declare(strict_types=1);

require __DIR__ . '/harness.php';

use EmonGroups\Exception\EngineFailure;

test('the probe is built in', function () {
    check(function_exists('EmonGroups\panicProbe'), 'build with --features panic-probe');
});
if (!function_exists('EmonGroups\panicProbe')) {
    finish('panic/php');
}

test('a panic in a wire function is an internal error answer', function () {
    $answer = json_decode(EmonGroups\panicProbe(true), true);
    check(($answer['ok'] ?? null) === false, 'not an error answer');
    check(($answer['error']['code'] ?? null) === 'internal', 'not code internal');
});

test('a panic in an Engine method is an EngineFailure', function () {
    $e = expect_throw(EngineFailure::class, fn () => EmonGroups\panicProbe(false));
    check($e->getErrorCode() === 'internal', 'code ' . $e->getErrorCode());
    check($e->getFile() === __FILE__, 'file ' . $e->getFile());
});

test('the process keeps working after 100 panics', function () {
    for ($i = 0; $i < 100; $i++) {
        try {
            EmonGroups\panicProbe(false);
        } catch (EngineFailure) {
        }
    }
    $answer = json_decode(EmonGroups\call('{"v":1,"op":"version"}'), true);
    check(($answer['ok'] ?? null) === true, 'the wire stopped answering');
});

finish('panic/php');
