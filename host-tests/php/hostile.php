<?php
// Hostile input into the PHP door: every bad value gives a clean error answer or an exception
// (never a crash, a hang or a PHP warning), and the process keeps working afterwards.
//
//   php -n -d extension=target/release/libemongroups_php.so host-tests/php/hostile.php

declare(strict_types=1);

require __DIR__ . '/harness.php';

use EmonGroups\Engine;
use EmonGroups\Exception as EmonGroupsException;
use EmonGroups\Exception\EngineFailure;
use EmonGroups\Exception\InvalidRequest;
use EmonGroups\Exception\InvalidState;

// A PHP warning or notice from the extension is a defect too: turn each into a failure.
set_error_handler(function (int $level, string $message, string $file, int $line): bool {
    throw new \ErrorException($message, 0, $level, $file, $line);
});

const STATE = [
    'groups' => [['id' => 1, 'name' => 'Heatpumps', 'description' => '', 'organization' => '', 'area' => '',
        'visibility' => 'private', 'access' => 'closed']],
    'memberships' => [
        ['groupid' => 1, 'userid' => 2, 'role' => 1, 'admin_rights' => 'full'],
        ['groupid' => 1, 'userid' => 3, 'role' => 3, 'admin_rights' => 'full'],
    ],
    'users' => [['id' => 2, 'username' => 'alice'], ['id' => 3, 'username' => 'bob']],
    'feeds' => [['id' => 10, 'userid' => 3, 'name' => 'power', 'public' => false]],
];

function engine(): Engine
{
    return Engine::fromState('emoncms', json_encode(STATE, JSON_THROW_ON_ERROR));
}

/** The decoded answer of a wire call, which must be an error with $code. */
function expect_error_answer(string $answer, string $code): void
{
    $decoded = json_decode($answer, true);
    check(is_array($decoded), 'the answer is not JSON: ' . substr($answer, 0, 200));
    check(($decoded['ok'] ?? null) === false, 'expected an error answer, got ' . substr($answer, 0, 200));
    check(($decoded['error']['code'] ?? null) === $code, "expected code {$code}, got " . substr($answer, 0, 300));
    check(strlen($answer) < 4096, 'an error answer quoted too much input: ' . strlen($answer) . ' bytes');
}

/** The exception must be of $class, carry the wire $code, and point at this file. */
function expect_exception(string $class, string $code, callable $body): EmonGroupsException
{
    $e = expect_throw($class, $body);
    check($e instanceof EmonGroupsException && $e instanceof \Exception, get_class($e) . ' is not under EmonGroups\Exception');
    check($e->getErrorCode() === $code, "expected error code {$code}, got {$e->getErrorCode()}: {$e->getMessage()}");
    check(strlen($e->getMessage()) < 4096, 'the message quoted too much input: ' . strlen($e->getMessage()) . ' bytes');
    check($e->getFile() === __FILE__ && $e->getLine() > 0, 'file/line do not point at the caller: ' . $e->getFile() . ':' . $e->getLine());
    return $e;
}

/** An array nested $levels deep, built without recursion: ['x' => ['x' => … ]]. */
function nested(int $levels, bool $list = false): array
{
    $root = [];
    $cursor = &$root;
    for ($i = 0; $i < $levels; $i++) {
        if ($list) {
            $cursor[0] = [];
            $cursor = &$cursor[0];
        } else {
            $cursor['x'] = [];
            $cursor = &$cursor['x'];
        }
    }
    unset($cursor);
    return $root;
}

$session = ['userid' => 2, 'read' => true, 'write' => true, 'admin' => false, 'apikey' => false,
    'username' => 'alice', 'previous_userid' => null, 'previous_username' => null, 'previous_admin' => null];

// --- the exception tree ---------------------------------------------------------------------

test('the exception classes form the documented tree', function () {
    check(get_parent_class(EmonGroupsException::class) === \Exception::class, 'base');
    foreach ([InvalidRequest::class, InvalidState::class, EngineFailure::class] as $class) {
        check(get_parent_class($class) === EmonGroupsException::class, $class);
    }
});

test('an exception PHP code makes itself has its family default code', function () {
    check((new InvalidRequest('x'))->getErrorCode() === 'bad_request', 'InvalidRequest');
    check((new InvalidState('x'))->getErrorCode() === 'invalid_state', 'InvalidState');
    check((new EngineFailure('x'))->getErrorCode() === 'internal', 'EngineFailure');
    expect_throw(\ArgumentCountError::class, fn () => (new InvalidRequest('x'))->getErrorCode(1));
});

test('new Engine() is refused', function () {
    expect_throw(\Error::class, fn () => new Engine());
});

test('an Engine cannot be cloned or serialized, and says so', function () {
    $e = engine();
    expect_throw(\Error::class, fn () => clone $e);
    expect_throw(\Exception::class, fn () => serialize($e));
    check($e->canReadFeed(3, 10) === true, 'the engine stopped answering');
});

// --- invalid UTF-8 ----------------------------------------------------------------------------

test('call() answers bad_json for invalid UTF-8', function () {
    expect_error_answer(EmonGroups\call("{\"v\":1,\"op\":\"version\",\"x\":\"\xff\xfe\"}"), 'bad_json');
    expect_error_answer(EmonGroups\call("\xc3\x28"), 'bad_json');
    expect_error_answer(EmonGroups\call("{\"v\":1,\"op\":\"version\"}\0"), 'bad_json');
});

test('handle() answers bad_json for invalid UTF-8', function () {
    expect_error_answer(engine()->handle("{\"v\":1,\"op\":\"what_can\",\"user\":\"\xed\xa0\x80\"}"), 'bad_json');
});

test('fromState() throws InvalidRequest for invalid UTF-8 profile or state', function () {
    expect_exception(InvalidRequest::class, 'bad_json', fn () => Engine::fromState("emon\xffcms", '{}'));
    expect_exception(InvalidRequest::class, 'bad_json', fn () => Engine::fromState('emoncms', "{\"users\":[{\"id\":1,\"username\":\"\xff\"}]}"));
});

test('invalid UTF-8 inside PHP arrays is refused with InvalidRequest', function () use ($session) {
    $e = engine();
    expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->check(2, 'group.view', ['group' => "\xff"]));
    expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->check(2, 'group.view', ["\xff\xfe" => 1]));
    expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->route('create', $session, ['name' => "caf\xe9"]));
    expect_exception(InvalidRequest::class, 'bad_request', fn () => Engine::fromRows([], [], [['id' => 1, 'username' => "\x80"]], []));
});

// --- huge strings -------------------------------------------------------------------------------

$ten_mb = str_repeat('a', 10 * 1024 * 1024);

test('10 MB of garbage into call() and handle() is bad_json', function () use ($ten_mb) {
    expect_error_answer(EmonGroups\call($ten_mb), 'bad_json');
    expect_error_answer(engine()->handle($ten_mb), 'bad_json');
});

test('a 10 MB op name is unknown_op with a short message', function () use ($ten_mb) {
    expect_error_answer(EmonGroups\call('{"v":1,"op":"' . $ten_mb . '","state":{}}'), 'unknown_op');
});

test('10 MB strings in arrays give clean answers', function () use ($ten_mb, $session) {
    $e = engine();
    expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->check(2, 'group.view', [$ten_mb => 1]));
    expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->check(2, $ten_mb, ['group' => 1]));
    $answer = $e->route('create', $session, ['name' => $ten_mb, 'description' => $ten_mb]);
    check(is_array($answer) && isset($answer['outcome']), 'route did not answer');
    $built = Engine::fromRows([], [], [['id' => 5, 'username' => 'x', 'bio' => $ten_mb]], []);
    check($built->whatCan(5)['user'] === 5, 'an engine with a 10 MB bio does not answer');
});

test('a request over 64 MiB is too_large, checked before parsing', function () {
    $huge = str_repeat(' ', 64 * 1024 * 1024 + 1);
    expect_error_answer(EmonGroups\call($huge), 'too_large');
    expect_exception(InvalidRequest::class, 'too_large', fn () => Engine::fromState('emoncms', $huge));
});

unset($ten_mb);

// --- deep nesting -------------------------------------------------------------------------------

test('100,000 nested JSON arrays into call() and fromState() are too_deep', function () {
    $deep = str_repeat('[', 100000) . str_repeat(']', 100000);
    expect_error_answer(EmonGroups\call('{"v":1,"op":"check","state":' . $deep . '}'), 'too_deep');
    expect_exception(InvalidRequest::class, 'too_deep', fn () => Engine::fromState('emoncms', '{"feeds":' . $deep . '}'));
});

test('100,000 nested PHP arrays into route params, check objects and fromRows are too_deep', function () use ($session) {
    $e = engine();
    $deep = nested(100000);
    $deep_list = nested(100000, true);
    expect_exception(InvalidRequest::class, 'too_deep', fn () => $e->route('create', $session, ['name' => $deep]));
    expect_exception(InvalidRequest::class, 'too_deep', fn () => $e->route('create', $deep, []));
    expect_exception(InvalidRequest::class, 'too_deep', fn () => $e->check(2, 'group.view', ['group' => $deep_list]));
    expect_exception(InvalidRequest::class, 'too_deep', fn () => $e->whatIf($deep_list));
    expect_exception(InvalidRequest::class, 'too_deep', fn () => Engine::fromRows([], [], [], [['id' => 1, 'userid' => 2, 'meta' => $deep]]));
});

test('an array that contains itself is too_deep, not an endless loop', function () use ($session) {
    $loop = ['a' => 1];
    $loop['self'] = &$loop;
    expect_exception(InvalidRequest::class, 'too_deep', fn () => engine()->route('create', $session, $loop));
    unset($loop['self']);
});

test('nesting just inside the limit still converts', function () use ($session) {
    // A feed row sits at depth 4 of a request; 100 more levels inside it are fine.
    $built = Engine::fromRows([], [], [], [['id' => 1, 'userid' => 2, 'meta' => nested(100)]]);
    check($built->canReadFeed(2, 1) === true, 'the owner cannot read its feed');
});

test('an answer quoting a row nested up to the limit comes back whole', function () use ($session) {
    // A feed row reaches answers as the host gave it. Its 123 levels inside the row (depth 4 of
    // the state) are within the wire's 128; the answer quoting it (result → body → row) nests
    // deeper than that, and must still become a PHP array.
    $built = Engine::fromRows(
        [['id' => '1', 'name' => 'Heatpumps', 'description' => '', 'organization' => '', 'area' => '',
            'visibility' => 'private', 'access' => 'closed']],
        [['groupid' => '1', 'userid' => '2', 'role' => '1', 'admin_rights' => 'full'],
            ['groupid' => '1', 'userid' => '3', 'role' => '3', 'admin_rights' => 'full']],
        [['id' => '2', 'username' => 'alice'], ['id' => '3', 'username' => 'bob']],
        [['id' => '10', 'userid' => '3', 'name' => 'power', 'public' => '0', 'meta' => nested(123)]]
    );
    $answer = $built->route('getuserfeeds', $session, ['groupid' => '1', 'userid' => '3']);
    $meta = $answer['body'][0]['meta'] ?? null;
    for ($level = 0; $level < 123 && is_array($meta); $level++) {
        $meta = $meta['x'] ?? null;
    }
    check($level === 123 && $meta === [], "the row came back cut at level {$level}");
});

// --- wrong types --------------------------------------------------------------------------------

test('objects, closures and resources inside arrays are refused', function () use ($session) {
    $e = engine();
    $file = fopen('php://memory', 'r');
    foreach ([new \stdClass(), fn () => 1, new \DateTimeImmutable('@0'), $file] as $bad) {
        expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->check(2, 'group.view', ['group' => $bad]));
        expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->route('create', $session, ['name' => $bad]));
        expect_exception(InvalidRequest::class, 'bad_request', fn () => Engine::fromRows([['id' => 1, 'name' => $bad]], [], [], []));
    }
    fclose($file);
});

test('NaN and infinity are refused', function () {
    $e = engine();
    expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->check(2, 'group.view', ['group' => NAN]));
    expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->whatIf([['kind' => 'delete_group', 'id' => INF]]));
});

test('floats as ids are refused', function () {
    $e = engine();
    expect_throw(\TypeError::class, fn () => $e->check(2.5, 'group.view', ['group' => 1]));
    expect_throw(\TypeError::class, fn () => $e->canReadFeed(2, 10.5));
    expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->check(2, 'group.view', ['group' => 1.5]));
    expect_exception(InvalidState::class, 'invalid_state', fn () => Engine::fromRows([['id' => 1.5, 'name' => 'g']], [], [], []));
});

test('wrong argument types are TypeErrors, not crashes', function () {
    $e = engine();
    expect_throw(\TypeError::class, fn () => EmonGroups\call(['v' => 1]));
    expect_throw(\TypeError::class, fn () => $e->check(2, 'group.view', 'group=1'));
    expect_throw(\TypeError::class, fn () => Engine::fromRows(null, [], [], []));
    expect_throw(\ArgumentCountError::class, fn () => $e->whatCan());
});

test('a table that is not a list of rows is refused', function () {
    expect_exception(InvalidRequest::class, 'bad_request', fn () => Engine::fromRows([1, 2], [], [], []));
    expect_exception(InvalidRequest::class, 'bad_request', fn () => Engine::fromRows([], ['groupid=1'], [], []));
});

test('the check object cannot smuggle envelope fields', function () {
    $e = engine();
    foreach (['state' => ['groups' => []], 'op' => 'version', 'v' => 2, 'actor' => 3, 'profile' => 'home'] as $key => $value) {
        expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->check(2, 'group.view', ['group' => 1, $key => $value]));
    }
});

// --- ids out of range ---------------------------------------------------------------------------

test('negative and overflowing ids are refused', function () {
    $e = engine();
    foreach ([-1, PHP_INT_MAX, PHP_INT_MIN, 2147483648] as $id) {
        expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->check($id, 'group.view', ['group' => 1]));
        expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->check(2, 'group.view', ['group' => $id]));
        expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->whatCan($id));
        expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->canReadFeed($id, 10));
        expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->canReadFeed(2, $id));
    }
    expect_exception(InvalidRequest::class, 'bad_request', fn () => $e->canReadFeed(2, 0));
});

test('negative and overflowing ids in rows are invalid_state', function () {
    foreach ([-1, PHP_INT_MAX, '-1', '99999999999999999999', '2147483648', 'abc', ''] as $id) {
        expect_exception(InvalidState::class, 'invalid_state', fn () => Engine::fromRows([['id' => $id, 'name' => 'g']], [], [], []));
        expect_exception(InvalidState::class, 'invalid_state', fn () => Engine::fromRows([], [], [], [['id' => 1, 'userid' => $id]]));
    }
});

test('canReadFeed needs an emoncms engine', function () {
    $home = Engine::fromState('home', '{}');
    expect_exception(InvalidRequest::class, 'bad_request', fn () => $home->canReadFeed(1, 1));
});

// --- the process keeps working ------------------------------------------------------------------

test('10,000 failing calls leak no PHP memory and leave the engine answering', function () {
    $e = engine();
    $before = memory_get_usage();
    for ($i = 0; $i < 10000; $i++) {
        try {
            $e->check(-1, 'group.view', ['group' => 1]);
        } catch (InvalidRequest) {
        }
        EmonGroups\call("\xff");
    }
    $grown = memory_get_usage() - $before;
    check($grown < 64 * 1024, "PHP memory grew by {$grown} bytes");
    check($e->check(2, 'feed.read', ['feed' => 10])['allowed'] === true, 'the engine stopped answering');
    check($e->canReadFeed(3, 10) === true && $e->canReadFeed(0, 10) === false, 'canReadFeed is wrong');
});

test('references and integer-like strings in arrays convert like values', function () {
    $e = engine();
    $feed = 10;
    $object = ['feed' => &$feed];
    check($e->check(2, 'feed.read', $object)['allowed'] === true, 'a reference was not followed');
    $rows = Engine::fromRows([['id' => '1', 'name' => 'g']], [['groupid' => '1', 'userid' => '2', 'role' => '1', 'admin_rights' => 'full']],
        [['id' => '2', 'username' => 'a', 'admin' => '0']], [['id' => '10', 'userid' => '2', 'public' => '0']]);
    check($rows->canReadFeed(2, 10) === true, 'mysqli-style string rows do not build the same engine');
});

finish('hostile/php');
