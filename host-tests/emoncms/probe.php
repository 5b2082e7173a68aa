<?php
/*
 * Tests only (router.php requires the file named by EMONGROUPS_TEST_PREPEND before emoncms's
 * index.php): every response of a group route carries X-Emongroups-Fact-Queries, the number of
 * statements the module's facts of that route took (GroupDb::$factQueries, a plain counter of
 * the shipped code), and X-Emongroups-Queries, all statements the module ran in the request.
 * Nothing of the module reads the environment; only this file, which no installation has.
 */
header_register_callback(function () {
    if (class_exists('GroupDb', false)) {
        header('X-Emongroups-Fact-Queries: ' . GroupDb::$factQueries);
        header('X-Emongroups-Queries: ' . GroupDb::$total);
    }
});
