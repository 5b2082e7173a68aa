<?php
/*
 * Load tests only (EMONGROUPS_TEST_PREPEND=host-tests/load/prepend.php; router.php requires it
 * before emoncms's index.php): everything host-tests/emoncms/probe.php does, plus a header
 * X-Load-Conn with the MariaDB connection id (thread id) of emoncms's mysqli connection for this
 * request. The load test's audit triggers record CONNECTION_ID() with every row a request
 * writes, so each written row is tied to the HTTP request that wrote it. Never part of the module.
 */
require __DIR__ . '/../emoncms/probe.php';

// PHP keeps one header callback: this one replaces probe.php's and writes its headers too.
header_register_callback(function () {
    if (class_exists('GroupDb', false)) {
        header('X-Emongroups-Fact-Queries: ' . GroupDb::$factQueries);
        header('X-Emongroups-Queries: ' . GroupDb::$total);
    }
    if (isset($GLOBALS['mysqli']) && $GLOBALS['mysqli'] instanceof mysqli) {
        try {
            $id = $GLOBALS['mysqli']->thread_id;
            if (is_int($id) && $id > 0) {
                header('X-Load-Conn: ' . $id);
            }
        } catch (Throwable $e) {
            // a closed connection (emoncms never closes it before answering): no header
        }
    }
});
