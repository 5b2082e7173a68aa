<?php
// Benchmarks of the PHP door, as emoncms would use it. Prints medians of several rounds.
//
//   php -n -d extension=target/release/libemongroups_php.so php-ext/bench/bench.php
//
// The facts are an installer-sized server: 100 groups of 100 members (10,000 memberships),
// 10,100 users and 2 feeds each, as mysqli returns rows (every column a string).

declare(strict_types=1);

use EmonGroups\Engine;

const GROUPS = 100;
const MEMBERS_PER_GROUP = 100;

function median(array $xs): float
{
    sort($xs);
    $n = count($xs);
    return $n % 2 ? $xs[intdiv($n, 2)] : ($xs[$n / 2 - 1] + $xs[$n / 2]) / 2;
}

/** The tables, as mysqli rows. */
function tables(): array
{
    $groups = $memberships = $users = $feeds = [];
    for ($g = 1; $g <= GROUPS; $g++) {
        $groups[] = ['id' => (string) $g, 'name' => "Installer {$g}", 'description' => '', 'organization' => '',
            'area' => '', 'visibility' => 'private', 'access' => 'closed'];
        for ($k = 0; $k < MEMBERS_PER_GROUP; $k++) {
            $memberships[] = ['groupid' => (string) $g, 'userid' => (string) ($g * 100 + $k),
                // The first member of each group administers it; some members gave read rights only.
                'role' => $k === 0 ? '1' : '3', 'admin_rights' => $k % 7 === 0 ? 'read' : 'full'];
        }
    }
    $last_user = GROUPS * 100 + MEMBERS_PER_GROUP;
    for ($u = 1; $u <= $last_user; $u++) {
        $users[] = ['id' => (string) $u, 'username' => "user{$u}", 'admin' => '0', 'name' => '', 'email' => "u{$u}@example.org",
            'bio' => '', 'location' => '', 'timezone' => 'Europe/London', 'tags' => null];
        foreach (['power', 'energy'] as $i => $name) {
            $feeds[] = ['id' => (string) (2 * $u - 1 + $i), 'userid' => (string) $u, 'name' => $name, 'tag' => 'house',
                'public' => $u % 50 === 0 ? '1' : '0', 'time' => '1700000000', 'value' => '230.5'];
        }
    }
    return [$groups, $memberships, $users, $feeds];
}

/** Median milliseconds of $rounds calls of $build. */
function time_build(int $rounds, callable $build): float
{
    $times = [];
    for ($r = 0; $r < $rounds; $r++) {
        $t = hrtime(true);
        $engine = $build();
        $times[] = (hrtime(true) - $t) / 1e6;
        unset($engine);
    }
    return median($times);
}

/** Median calls per second of $rounds loops of $n calls; $loop returns how many were allowed. */
function time_checks(int $rounds, int $n, callable $loop): array
{
    $rates = [];
    $allowed = 0;
    for ($r = 0; $r < $rounds; $r++) {
        $t = hrtime(true);
        $allowed = $loop($n);
        $rates[] = $n / ((hrtime(true) - $t) / 1e9);
    }
    return [median($rates), $allowed];
}

[$groups, $memberships, $users, $feeds] = tables();
$last_feed = count($feeds);

$build_memberships = time_build(15, fn () => Engine::fromRows($groups, $memberships, [], []));
$build_full = time_build(9, fn () => Engine::fromRows($groups, $memberships, $users, $feeds));
$engine = Engine::fromRows($groups, $memberships, $users, $feeds);

// Actors: a group administrator (reads its 100 members' feeds), a member, an outsider, anonymous.
$actors = [100, 4242, 999999, 0];

[$native_rate, $native_allowed] = time_checks(7, 1_000_000, function (int $n) use ($engine, $actors, $last_feed): int {
    $allowed = 0;
    for ($i = 0; $i < $n; $i++) {
        if ($engine->canReadFeed($actors[$i & 3], $i % $last_feed + 1)) {
            $allowed++;
        }
    }
    return $allowed;
});

[$wire_rate, $wire_allowed] = time_checks(5, 50_000, function (int $n) use ($engine, $actors, $last_feed): int {
    $allowed = 0;
    for ($i = 0; $i < $n; $i++) {
        if ($engine->check($actors[$i & 3], 'feed.read', ['feed' => $i % $last_feed + 1])['allowed']) {
            $allowed++;
        }
    }
    return $allowed;
});

// The two paths must agree, or the fast one is measuring something else.
$agree = true;
for ($i = 0; $i < 20_000; $i++) {
    $actor = $actors[$i & 3];
    $feed = $i * 7 % $last_feed + 1;
    if ($engine->canReadFeed($actor, $feed) !== $engine->check($actor, 'feed.read', ['feed' => $feed])['allowed']) {
        $agree = false;
        echo "DISAGREE canReadFeed and check() on actor {$actor}, feed {$feed}\n";
        break;
    }
}

$verdict = fn (bool $met) => $met ? 'met' : 'MISSED';
printf("bench/php: PHP %s, %d groups, %d memberships, %d users, %d feeds\n",
    PHP_VERSION, count($groups), count($memberships), count($users), count($feeds));
printf("bench/php: Engine::canReadFeed   %6.2f M checks/s  (median of 7 × 1,000,000; target >= 1 M/s: %s; %d allowed per round)\n",
    $native_rate / 1e6, $native_rate >= 1e6 ? 'met' : 'MISSED', $native_allowed);
printf("bench/php: Engine::check         %6.1f k checks/s  (median of 5 × 50,000; JSON round trip with the fact chain; %d allowed per round)\n",
    $wire_rate / 1e3, $wire_allowed);
printf("bench/php: Engine::fromRows      %6.1f ms  (median of 15; 100 groups + 10,000 memberships; target <= 20 ms: %s)\n",
    $build_memberships, $verdict($build_memberships <= 20.0));
printf("bench/php: Engine::fromRows      %6.1f ms  (median of 9; + 10,100 users + %d feeds)\n",
    $build_full, count($feeds));
printf("bench/php: canReadFeed and check() agree: %s\n", $agree ? 'yes' : 'NO');
exit($agree ? 0 : 1);
