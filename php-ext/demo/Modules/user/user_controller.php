<?php
/*
 * The demo host's user pages: login form, logout, and user/view (where group/setuser lands).
 */
defined('EMONCMS_EXEC') or die('Restricted access');

function user_controller()
{
    global $session, $route, $user, $path;

    if ($route->action === 'login') {
        if ($route->method === 'POST') {
            $result = $user->login(post('username'), post('password'));
            if ($route->format === 'json') {
                return array('content' => $result);
            }
            if ($result['success']) {
                header('Location: ' . $path . 'group');
                return array('content' => 'Logged in');
            }
            return array('content' => view('Theme/login.php', array('message' => $result['message'])));
        }
        return array('content' => view('Theme/login.php', array('message' => '')));
    }
    if ($route->action === 'logout') {
        $user->logout();
        header('Location: ' . $path . 'user/login');
        return array('content' => 'Logged out');
    }
    if ($route->action === 'view' && $session['read']) {
        $row = $user->get($session['userid']);
        $name = is_object($row) ? $row->username : '?';
        return array('content' => '<h2>My account</h2><p id="user-view">You are logged in as <b>'
            . htmlspecialchars($name) . '</b> (user ' . (int) $session['userid'] . ', timezone '
            . htmlspecialchars((string) $session['timezone']) . ').</p>'
            . '<p><a href="' . $path . 'group">Groups</a></p>');
    }
    return array('content' => EMPTY_ROUTE);
}
