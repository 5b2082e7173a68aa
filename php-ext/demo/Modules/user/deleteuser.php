<?php
/*
 * The demo host's delete_user(): emoncms core's permanent account deletion, as the group module
 * sees it (group 2.0.0 §2.3 fullremoveuser): a report of the feeds, inputs and rows removed.
 */
defined('EMONCMS_EXEC') or die('Restricted access');

function delete_user($userid, $mode)
{
    global $mysqli;
    $db = new DemoDb($mysqli);
    $userid = (int) $userid;
    if (!$db->row('SELECT id FROM users WHERE id = ?', array($userid))) {
        return "user does not exist\n";
    }
    $delete = $mode === 'permanentdelete';
    $now = time();
    $report = "User $userid $now " . date('Y-m-d H:i:s', $now) . "\nFeeds:\n";
    foreach ($db->rows('SELECT id, name FROM feeds WHERE userid = ? ORDER BY id', array($userid)) as $feed) {
        $report .= "  {$feed['id']}:{$feed['name']}\n";
        if ($delete) {
            $db->run('DELETE FROM feed_data WHERE feedid = ?', array((int) $feed['id']));
        }
    }
    $report .= "Inputs:\n";
    foreach ($db->rows('SELECT id, nodeid, name FROM input WHERE userid = ? ORDER BY id', array($userid)) as $input) {
        $report .= "  {$input['id']}:{$input['nodeid']}:{$input['name']}\n";
    }
    // Every table of every module's schema with a userid column (feeds, input, group_users, …).
    foreach (load_db_schema() as $table => $columns) {
        if ($table === 'users' || !isset($columns['userid'])) {
            continue;
        }
        $quoted = $db->quote($table);
        if ($db->row("SELECT userid FROM $quoted WHERE userid = ? LIMIT 1", array($userid))) {
            $report .= "- $table entry\n";
            if ($delete) {
                $db->run("DELETE FROM $quoted WHERE userid = ?", array($userid));
            }
        }
    }
    $report .= "- user entry\n";
    if ($delete) {
        $db->run('DELETE FROM users WHERE id = ?', array($userid));
    }
    return $report;
}
