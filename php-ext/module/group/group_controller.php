<?php
/*
 * emongroups — the group module's controller (drop-in for emoncms group 2.0.0).
 *
 * It reads the request the way 2.0.0 did (get() for GET-style routes, post() for setuserinfo,
 * prop() for createuseraddtogroup and sendlogindetails), hands it to the model, and answers in
 * the format the engine chose. It decides nothing itself.
 */
defined('EMONCMS_EXEC') or die('Restricted access');

function group_controller()
{
    global $session, $route, $mysqli, $redis, $user, $settings, $path;

    require_once 'Modules/group/group_model.php';
    require_once 'Modules/group/group_host.php';

    $appname = isset($settings['interface']['appname']) ? (string) $settings['interface']['appname'] : 'emoncms';
    $context = array('appname' => $appname, 'path' => (string) $path);
    $engineSession = group_engine_session($session);
    $timezone = isset($session['timezone']) && is_string($session['timezone']) ? $session['timezone'] : 'UTC';
    $model = new Group($mysqli, $redis, null, null, null);
    if (isset($settings['group']['state_budget']) && (int) $settings['group']['state_budget'] >= 1024) {
        $model->stateBudget = (int) $settings['group']['state_budget'];
    }
    $host = new GroupHost($user, $mysqli, $redis, $settings, $timezone);

    $action = (string) $route->action;
    if ($action === '') {
        // The page: the engine's gate on grouplist decides whether there is anything to show.
        $result = $model->route('grouplist', array(), $engineSession, $host, $context);
        $route->format = 'html';
        if (is_object($result->body) && isset($result->body->success) && $result->body->success === false) {
            $login = $engineSession['userid'] === 0
                ? ' <a href="' . htmlspecialchars((string) $path) . '" class="alert-link">Login</a>' : '';
            return array('content' => '<div class="alert alert-error mt-3"><h4>Error:</h4> '
                . htmlspecialchars((string) $result->body->message) . '.' . $login . '</div>');
        }
        return array('content' => view('Modules/group/group_view.php', array('group_list' => $result->body)));
    }

    // Cross-site requests: a route that changes something, asked with a browser's session (not
    // an API key), must carry the session's request token (core/COMPATIBILITY.md, "Request
    // token"). The page sends it; a script using a login session reads it from the
    // X-Emongroups-Csrf header of any group answer.
    $browserSession = $engineSession['userid'] > 0 && !$engineSession['apikey'];
    if ($browserSession) {
        header('X-Emongroups-Csrf: ' . group_csrf_token());
        if (in_array($action, group_csrf_routes(), true) && !group_csrf_sent_ok()) {
            $route->format = 'json';
            return array('content' => array('success' => false,
                'message' => 'The request token is missing or wrong: reload the group page'));
        }
    }

    // The routes that only read: PHP's session file stays locked until the request ends (emoncms
    // never closes it), so the group page's member list and snapshot, asked at once, would run
    // one after the other. Their session is read (and the request token made) above: release it.
    if (in_array($action, group_read_routes(), true) && session_status() === PHP_SESSION_ACTIVE) {
        session_write_close();
    }

    $params = group_request_params($action, (string) $route->subaction);
    // The member lists (megabytes of feed rows in mygroups) are printed as the engine wrote them;
    // the other answers go through index.php's json_encode as 2.0.0's did, byte for byte (getfeed
    // equals the owner's own feed/data.json).
    $rawBody = in_array($action, array('userlist', 'mygroups', 'getuserfeeds', 'snapshot'), true);
    $result = $model->route($action, $params, $engineSession, $host, $context, $rawBody);

    switch ($result->format) {
        case 'text':
            $route->format = 'text';
            return array('content' => (string) $result->body);

        case 'redirect':
            if (isset($result->session)) {
                group_apply_session($result->session);
            }
            $to = (string) $result->body;
            // "../user/view" is relative to group/<action>; from $path it also works when the
            // request came as index.php?q=group/setuser.
            $location = strpos($to, '../') === 0 ? $path . substr($to, 3) : $to;
            header('Location: ' . $location, true, 302);
            $route->format = 'text';
            return array('content' => $location);

        case 'csv':
            $filename = preg_replace('/[^A-Za-z0-9_:.\-]/', '', (string) $result->filename);
            header('Content-Type: application/octet-stream');
            header('Content-Disposition: attachment; filename=' . $filename);
            header('Content-Length: ' . strlen((string) $result->body));
            header('Cache-Control: no-cache');
            print (string) $result->body;
            exit;

        default:
            $route->format = 'json';
            if (isset($result->json)) {
                // The engine's JSON text as it wrote it (mygroups: megabytes of feed rows), not
                // decoded here only for index.php to encode it again.
                header('Content-Type: application/json');
                print $result->json;
                exit;
            }
            return array('content' => $result->body);
    }
}

/** The routes that change something (and sendlogindetails, which sends mail). */
function group_csrf_routes()
{
    return array('create', 'editgroup', 'delete', 'deleteallgroupsfromuser', 'addmemberauth', 'adduserauth',
        'createuseraddtogroup', 'removeuser', 'fullremoveuser', 'setuserinfo', 'sendlogindetails');
}

/** The routes that change neither rows nor the session (the page loads them at once). */
function group_read_routes()
{
    return array('grouplist', 'getsessionuserrole', 'summary', 'userlist', 'snapshot', 'mygroups', 'getuserfeeds',
        'search', 'aggregate');
}

/** This session's request token (made once per session). '' without a session. */
function group_csrf_token()
{
    if (session_status() !== PHP_SESSION_ACTIVE) {
        return '';
    }
    if (empty($_SESSION['group_csrf']) || !is_string($_SESSION['group_csrf'])) {
        $_SESSION['group_csrf'] = bin2hex(random_bytes(16));
    }
    return $_SESSION['group_csrf'];
}

/** The token the request carries (header X-Emongroups-Csrf, or a `csrf` parameter) is this session's. */
function group_csrf_sent_ok()
{
    $sent = isset($_SERVER['HTTP_X_EMONGROUPS_CSRF']) ? $_SERVER['HTTP_X_EMONGROUPS_CSRF']
        : (isset($_POST['csrf']) ? $_POST['csrf'] : (isset($_GET['csrf']) ? $_GET['csrf'] : ''));
    $mine = group_csrf_token();
    return is_string($sent) && $mine !== '' && hash_equals($mine, $sent);
}

/** Where each route reads its parameters in group 2.0.0 (§2.0a), and which ones. */
function group_route_params()
{
    $group = array('name', 'description', 'organization', 'area', 'visibility', 'access');
    return array(
        'create' => array('get', $group),
        'editgroup' => array('get', array_merge(array('groupid'), $group)),
        'delete' => array('get', array('groupid')),
        'deleteallgroupsfromuser' => array('get', array()),
        'addmemberauth' => array('get', array('groupid', 'username', 'password', 'role', 'admin_rights')),
        'adduserauth' => array('get', array('groupid', 'username', 'password', 'access')),
        'createuseraddtogroup' => array('prop', array('groupid', 'email', 'username', 'password', 'role', 'name', 'admin_rights')),
        'removeuser' => array('get', array('groupid', 'userid')),
        'fullremoveuser' => array('get', array('groupid', 'userid')),
        'setuserinfo' => array('post', array('groupid', 'userid', 'username', 'name', 'email', 'bio', 'timezone',
            'location', 'role', 'password', 'tags', 'admin_rights')),
        'sendlogindetails' => array('prop', array('groupid', 'userid', 'password', 'emailsubject', 'template', 'sendcopy')),
        'setuser' => array('get', array('groupid', 'userid', 'view', 'tag')),
        'logasprevioususer' => array('get', array()),
        'grouplist' => array('get', array()),
        'userlist' => array('get', array('groupid')),
        'mygroups' => array('get', array()),
        'search' => array('get', array('term')),
        'getuserfeeds' => array('get', array('groupid', 'userid')),
        'getsessionuserrole' => array('get', array('groupid')),
        'summary' => array('get', array('groupid')),
        'snapshot' => array('get', array('groupid')),
        'aggregate' => array('get', array('groupid', 'feedname')),
        'getfeed' => array('get', array('id', 'start', 'end', 'interval', 'skipmissing', 'limitinterval', 'mode')),
        'csvexport' => array('get', array('groupid', 'id', 'start', 'end', 'interval', 'timeformat', 'name')),
    );
}

/** The raw parameters of $action: strings, null when the request did not carry them. */
function group_request_params($action, $subaction)
{
    $table = group_route_params();
    if (!isset($table[$action])) {
        return array();
    }
    list($source, $names) = $table[$action];
    $params = array();
    foreach ($names as $name) {
        $params[$name] = group_request_param($source, $name);
    }
    if ($action === 'getfeed') {
        $params['subaction'] = $subaction === '' ? null : $subaction;
    }
    return $params;
}

/**
 * One parameter through core's own helper (same decoding as 2.0.0). emoncms 10.0–11.2.2 answer
 * "" for a missing parameter and later cores null; here a missing parameter is always null and a
 * parameter sent empty is always "", whatever the core, because the engine tells them apart
 * (editgroup keeps a missing field but not an empty one).
 */
function group_request_param($source, $name)
{
    $inGet = array_key_exists($name, $_GET);
    $inPost = array_key_exists($name, $_POST);
    if ($source === 'get') {
        $present = $inGet;
        $raw = $inGet ? $_GET[$name] : null;
    } elseif ($source === 'post') {
        $present = $inPost;
        $raw = $inPost ? $_POST[$name] : null;
    } else {
        $present = $inGet || $inPost;
        $raw = $inGet ? $_GET[$name] : ($inPost ? $_POST[$name] : null);
    }
    if (!$present) {
        return null;
    }
    if (is_array($raw)) {
        // Never a valid value; core's helpers would fail on it. The engine refuses the text.
        return json_encode($raw);
    }
    if ($source === 'get' && function_exists('get')) {
        $value = get($name);
    } elseif ($source === 'post' && function_exists('post')) {
        $value = post($name);
    } elseif ($source === 'prop' && function_exists('prop')) {
        $value = prop($name);
    } else {
        $value = $raw;
    }
    return $value === null ? '' : (string) $value;
}

/** emoncms's $session (and the impersonation keys of $_SESSION) as the engine's session. */
function group_engine_session($session)
{
    $session = is_array($session) ? $session : array();
    $engine = array(
        'userid' => isset($session['userid']) ? (int) $session['userid'] : 0,
        'read' => !empty($session['read']),
        'write' => !empty($session['write']),
        'admin' => !empty($session['admin']),
        // 11.x marks key sessions; 10.x does not, so the request itself is looked at too.
        'apikey' => !empty($session['apikey']) || group_request_has_apikey(),
        'username' => isset($session['username']) ? (string) $session['username'] : null,
    );
    if (session_status() === PHP_SESSION_ACTIVE && isset($_SESSION) && !$engine['apikey']) {
        foreach (array('previous_userid', 'previous_username', 'previous_admin', 'previous_read', 'previous_write',
            'previous_target', 'previous_since') as $key) {
            if (isset($_SESSION[$key])) {
                $engine[$key] = $_SESSION[$key];
            }
        }
    }
    return $engine;
}

function group_request_has_apikey()
{
    if (isset($_GET['apikey']) || isset($_POST['apikey'])) {
        return true;
    }
    $auth = isset($_SERVER['HTTP_AUTHORIZATION']) ? (string) $_SERVER['HTTP_AUTHORIZATION'] : '';
    return stripos($auth, 'Bearer ') === 0;
}

/** The engine's session keys into $_SESSION (null = unset), then a fresh session id. */
function group_apply_session($keys)
{
    if (session_status() !== PHP_SESSION_ACTIVE) {
        return;
    }
    foreach ((array) $keys as $key => $value) {
        if ($value === null) {
            unset($_SESSION[$key]);
        } else {
            $_SESSION[$key] = $value;
        }
    }
    session_regenerate_id(true);
}
