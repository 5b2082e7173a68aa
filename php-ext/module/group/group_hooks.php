<?php
/*
 * emongroups — hooks of the group module (emoncms call_hook, group 2.0.0 §1.11).
 *
 * core's call_hook() `require`s this file each time it runs, so the function is declared only
 * once.
 */
defined('EMONCMS_EXEC') or die('Restricted access');

if (!function_exists('group_on_delete_user')) {
    /**
     * A user account is being deleted (user/deleteall, or the group route fullremoveuser):
     * report the user's memberships and, in permanentdelete mode, remove them.
     * $args: array('userid' => int, 'mode' => 'permanentdelete' | 'dryrun').
     */
    function group_on_delete_user($args)
    {
        global $mysqli;
        require_once __DIR__ . '/group_db.php';
        $userid = isset($args['userid']) ? (int) $args['userid'] : 0;
        $mode = isset($args['mode']) ? (string) $args['mode'] : 'dryrun';
        if ($userid < 1) {
            return '';
        }
        $db = new GroupDb($mysqli);
        $rows = $db->select('SELECT COUNT(*) AS n FROM group_users WHERE userid = ?', array($userid));
        if (!$rows || (int) $rows[0]['n'] === 0) {
            return '';
        }
        if ($mode === 'permanentdelete') {
            $db->execute('DELETE FROM group_users WHERE userid = ?', array($userid));
        }
        return "- group_users entry\n";
    }
}
