<?php
/*
 * emongroups — menu entries of the group module.
 *
 * emoncms changed its menu format twice (group 2.0.0 §1.10). This file writes the format of the
 * core it runs in: `$menu['sidebar']['emoncms']` (10.0 – 10.4, as core's own modules) or `$menu['setup']['l2']` (10.5.5 and later,
 * 11.x, 12). While an administrator is logged in as a member, it adds the way back:
 * "<previous_username> => <username>" linking to group/logasprevioususer.
 */
defined('EMONCMS_EXEC') or die('Restricted access');

if (!function_exists('group_menu_format')) {
    /** 'sidebar' for emoncms 10.0 – 10.4, 'l2' for later cores. */
    function group_menu_format($menu)
    {
        if (is_array($menu)) {
            // Modules are loaded alphabetically: feed, input, … have already written their
            // entries in the format of this core by the time group's file runs.
            if (isset($menu['sidebar'])) {
                return 'sidebar';
            }
            if (isset($menu['setup'])) {
                return 'l2';
            }
        }
        if (is_file('version.json')) {
            $version = json_decode((string) file_get_contents('version.json'), true);
            if (isset($version['version']) && is_string($version['version'])) {
                return version_compare($version['version'], '10.5.0', '<') ? 'sidebar' : 'l2';
            }
        }
        return 'l2';
    }
}

$group_menu_session = isset($session) && is_array($session) ? $session
    : (isset($GLOBALS['session']) && is_array($GLOBALS['session']) ? $GLOBALS['session'] : array());
if (!isset($menu) || !is_array($menu)) {
    $menu = array();
}
$group_menu_back = null;
// The way back only in the session group/setuser made: while it is still the member's (the engine
// refuses it to any other, and this link is not offered there).
if (session_status() === PHP_SESSION_ACTIVE && !empty($_SESSION['previous_userid'])
    && isset($_SESSION['previous_target'], $_SESSION['userid']) && (int) $_SESSION['previous_target'] === (int) $_SESSION['userid']) {
    $group_menu_back = htmlspecialchars((isset($_SESSION['previous_username']) ? (string) $_SESSION['previous_username'] : '')
        . ' => ' . (isset($_SESSION['username']) ? (string) $_SESSION['username'] : ''));
}

if (group_menu_format($menu) === 'sidebar') {
    // 10.x renders the `emoncms` section (Setup) on every page where core's own entries (feeds,
    // inputs, admin) are; a `setup` section is drawn as #sidebar_setup, which no core page shows.
    if (!empty($group_menu_session['write'])) {
        $menu['sidebar']['emoncms'][] = array('text' => _('Groups'), 'path' => 'group', 'icon' => 'users', 'order' => 8);
    }
    if ($group_menu_back !== null) {
        $menu['sidebar']['emoncms'][] = array(
            'text' => $group_menu_back, 'path' => 'group/logasprevioususer', 'icon' => 'user', 'order' => 0,
            'title' => _('Log back in as the previous user'),
        );
    }
} else {
    if (!empty($group_menu_session['write'])) {
        $menu['setup']['l2']['group'] = array('name' => _('Groups'), 'href' => 'group', 'order' => 8, 'icon' => 'users');
    }
    if ($group_menu_back !== null) {
        $menu['setup']['l2']['grouplogback'] = array(
            'name' => $group_menu_back, 'href' => 'group/logasprevioususer', 'order' => 0, 'icon' => 'user',
        );
    }
}
unset($group_menu_session, $group_menu_back);
