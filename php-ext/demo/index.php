<?php
/*
 * emongroups demo host: a standalone, emoncms-like front controller (group 2.0.0 §1.3) that runs
 * the group module (Modules/group → php-ext/module/group) unchanged, on SQLite or MySQL.
 */
define('EMONCMS_EXEC', 1);
chdir(__DIR__);

require 'settings.php';
require 'core.php';
require 'Lib/demodb.php';

if ($settings['display_errors']) {
    error_reporting(E_ALL);
    ini_set('display_errors', 'on');
}

$path = '/';
$mysqli = DemoDb::open($settings['sql']);   // PDO (SQLite) or mysqli: emoncms's global name
$redis = false;

require 'Modules/user/user_model.php';
$user = new User($mysqli, $redis);

// --- session: API key (query, body or Bearer) or the login cookie -------------------------------
$apikey = null;
if (isset($_GET['apikey'])) {
    $apikey = (string) $_GET['apikey'];
} elseif (isset($_POST['apikey'])) {
    $apikey = (string) $_POST['apikey'];
} elseif (isset($_SERVER['HTTP_AUTHORIZATION']) && stripos($_SERVER['HTTP_AUTHORIZATION'], 'Bearer ') === 0) {
    $apikey = trim(substr($_SERVER['HTTP_AUTHORIZATION'], 7));
}
if ($apikey !== null) {
    $session = $user->apikey_session($apikey);
    if (!$session) {
        http_response_code(401);
        header('Content-Type: text/plain');
        echo 'Invalid API key';
        exit;
    }
} else {
    $session = $user->emon_session_start();
}

$route = new Route(get('q'), isset($_SERVER['REQUEST_METHOD']) ? $_SERVER['REQUEST_METHOD'] : 'GET');
if ($route->controller === '') {
    header('Location: ' . $path . ($session['read'] ? 'group' : 'user/login'));
    exit;
}

$output = controller($route->controller);
$content = $output['content'];

if ($content === EMPTY_ROUTE) {
    http_response_code(406);
    if ($route->format === 'json') {
        header('Content-Type: application/json');
        echo json_encode(array('success' => false, 'message' => '406 Not Acceptable. Route not found'));
    } else {
        header('Content-Type: text/plain');
        echo "406 Not Acceptable. Route not found";
    }
    exit;
}
if ($content === '' && !$session['read']) {
    header('Location: ' . $path . 'user/login');
    exit;
}

switch ($route->format) {
    case 'json':
        header('Content-Type: application/json');
        echo json_encode($content);
        break;
    case 'text':
    case 'txt':
        header('Content-Type: text/plain');
        echo $content;
        break;
    case 'csv':
        header('Content-Type: text/csv');
        echo $content;
        break;
    case 'html':
        header('Content-Type: text/html; charset=utf-8');
        $menu = load_menu();
        echo view('Theme/theme.php', array('content' => $content, 'menu' => $menu));
        break;
    default:
        http_response_code(406);
        header('Content-Type: text/plain');
        echo 'URI not acceptable. Unknown format';
}
