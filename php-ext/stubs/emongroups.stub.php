<?php

/**
 * IDE stub of the `emongroups` PHP extension (php-ext/). Never include it at run time: the
 * extension defines these names. `host-tests/php/stub.php` checks by Reflection that this file
 * and the loaded extension declare the same functions, classes, methods and parameters.
 *
 * Every method is one request of the wire (core/WIRE.md); answers come back as PHP arrays
 * (JSON objects become associative arrays).
 */

namespace EmonGroups {

    /**
     * The wire call: one JSON request in, one JSON answer out. Never throws for a wire error:
     * every problem (even a request that is not UTF-8) is an answer
     * `{"ok":false,"error":{"code":…,"message":…}}`.
     */
    function call(string $json): string {}

    /**
     * The wire call with a route's JSON body written apart: `[$answer, $body]`. When the answer
     * is a done route in format `json`, its `result.body` is null and `$body` is the body's JSON
     * text, to be passed on unread (the group module prints mygroups this way); for every other
     * answer `$body` is null and `$answer` is what call() gives.
     *
     * @return array{0: string, 1: ?string}
     */
    function callApart(string $json): array {}

    /**
     * A profile's facts, indexed once, answering many questions. Build one with fromState() or
     * fromRows(); `new Engine()` is not allowed.
     */
    class Engine
    {
        private function __construct() {}

        /**
         * @param string $profile `emoncms`, `home` or `buildings`
         * @param string $stateJson the profile's state as JSON text (core/WIRE.md)
         * @throws Exception\InvalidRequest|Exception\InvalidState
         */
        public static function fromState(string $profile, string $stateJson): Engine {}

        /**
         * An emoncms engine from the rows PHP read (mysqli rows: ids may be digit strings).
         *
         * @param array $groups rows of `groups`
         * @param array $memberships rows of `group_users` (groupid, userid, role, admin_rights)
         * @param array $users rows of `users` (id, username, admin, …)
         * @param array $feeds rows of emoncms's feed model (id, userid, public, …)
         * @throws Exception\InvalidRequest|Exception\InvalidState
         */
        public static function fromRows(array $groups, array $memberships, array $users, array $feeds): Engine {}

        /**
         * The wire on the held facts: a request without `state` is answered from them. Like
         * call(), wire errors are answers, not exceptions.
         */
        public function handle(string $json): string {}

        /**
         * The Decision: ['allowed' => bool, 'status' => 'ok'|'not_found'|'forbidden',
         * 'reason' => string, 'chain' => [fact, …]].
         *
         * @param int $actor user id, 0 = anonymous
         * @param array $object the object fields of the action, e.g. ['group' => 3, 'user' => 5]
         */
        public function check(int $actor, string $action, array $object): array {}

        /**
         * One emoncms group route. The result is ['outcome' => 'done', 'format' => …,
         * 'body' => …, 'changes' => […]] or ['outcome' => 'need', 'need' => […]].
         *
         * @param array $session the emoncms session (userid, read, write, admin, …)
         * @param array $params the request parameters as get()/post() read them
         * @param array|null $host answers to earlier needs, keyed by need kind
         * @param int|null $now unix time; null = now
         */
        public function route(string $route, array $session, array $params, ?array $host = null, ?int $now = null): array {}

        /** ['user' => id, 'capabilities' => [capability, …], …] */
        public function whatCan(int $user): array {}

        /**
         * ['diff' => [['user' => id, 'gains' => […], 'loses' => […]], …]
         *
         * @param array $changes changes as routes return them
         * @param array|null $users restrict the report to these user ids
         */
        public function whatIf(array $changes, ?array $users = null): array {}

        /**
         * May $actor (0 = anonymous) read feed $feed? The fast path: no JSON; emoncms engines
         * only.
         */
        public function canReadFeed(int $actor, int $feed): bool {}
    }

    /**
     * Base of every exception the extension throws.
     */
    class Exception extends \Exception
    {
        protected $errorCode = 'internal';

        /** The stable wire error code, e.g. `bad_request`. */
        public function getErrorCode(): string {}
    }
}

namespace EmonGroups\Exception {

    /** bad_json, bad_request, too_large, too_deep, unsupported_version, unknown_op, unknown_profile, missing_state */
    class InvalidRequest extends \EmonGroups\Exception
    {
        protected $errorCode = 'bad_request';
    }

    /** invalid_state, policy: the facts or the policy contradict themselves */
    class InvalidState extends \EmonGroups\Exception
    {
        protected $errorCode = 'invalid_state';
    }

    /** internal: a bug in the engine or the extension (a caught panic) */
    class EngineFailure extends \EmonGroups\Exception
    {
        protected $errorCode = 'internal';
    }
}
