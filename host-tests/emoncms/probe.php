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

/*
 * GET /emongroups-test/become?userid=N&username=NAME: the session's user changes as another login
 * route (a module that logs users in, a future core) would change it — the userid and username
 * keys only, the rest of the session (previous_* included) as it was. For the log-back tests.
 */
if (parse_url((string) $_SERVER['REQUEST_URI'], PHP_URL_PATH) === '/emongroups-test/become') {
    session_name('EMONCMS_SESSID');
    session_start();
    if (empty($_SESSION['userid'])) {
        http_response_code(409);
        exit("no session\n");
    }
    $_SESSION['userid'] = (int) $_GET['userid'];
    $_SESSION['username'] = (string) $_GET['username'];
    exit("ok\n");
}
