<?php
// A minimal test harness for the PHP door's plain test scripts: each test is a named closure that
// passes by returning and fails by throwing; the script ends with `finish()`, which prints
// `<suite>: N passed, M failed` last and exits non-zero when anything failed.

declare(strict_types=1);

final class TestFailure extends \RuntimeException {}

final class Harness
{
    public static int $passed = 0;
    public static int $failed = 0;
}

/** Runs one test. A test that throws anything (or lets an error escape) fails. */
function test(string $name, callable $body): void
{
    try {
        $body();
        Harness::$passed++;
    } catch (\Throwable $e) {
        Harness::$failed++;
        $where = $e instanceof TestFailure ? '' : ' (' . get_class($e) . ' at ' . basename($e->getFile()) . ':' . $e->getLine() . ')';
        echo "FAIL {$name}: ", $e->getMessage(), $where, "\n";
    }
}

function check(bool $condition, string $what): void
{
    if (!$condition) {
        throw new TestFailure($what);
    }
}

/**
 * Calls $body, which must throw an instance of $class; returns the exception so the caller can
 * look at it further.
 */
function expect_throw(string $class, callable $body): \Throwable
{
    try {
        $body();
    } catch (\Throwable $e) {
        if (!($e instanceof $class)) {
            throw new TestFailure('expected ' . $class . ', got ' . get_class($e) . ': ' . $e->getMessage());
        }
        return $e;
    }
    throw new TestFailure("expected {$class}, nothing was thrown");
}

function finish(string $suite): never
{
    echo "{$suite}: ", Harness::$passed, ' passed, ', Harness::$failed, " failed\n";
    exit(Harness::$failed > 0 ? 1 : 0);
}
