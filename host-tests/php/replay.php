<?php
// The PHP door of the properties suite's differential (scripts/test-properties.sh): answers every
// line of FILE (one wire request per line) through `EmonGroups\call` and prints the answers, one
// per line, byte for byte as the extension returns them.
//
//   php -n -d extension=target/release/libemongroups_php.so host-tests/php/replay.php FILE

declare(strict_types=1);

if (!function_exists('EmonGroups\call')) {
    fwrite(STDERR, "the emongroups extension is not loaded (php -d extension=…/libemongroups_php.so)\n");
    exit(2);
}
$path = $argv[1] ?? null;
$text = $path === null ? false : @file_get_contents($path);
if ($text === false) {
    fwrite(STDERR, "usage: replay.php FILE (cannot read `{$path}`)\n");
    exit(2);
}
// Split on "\n" only: a request may hold any other character, and strings are bytes here.
$lines = explode("\n", str_ends_with($text, "\n") ? substr($text, 0, -1) : $text);
foreach ($lines as $line) {
    echo EmonGroups\call($line), "\n";
}
