<?php
/*
 * The module's PHP interfaces that other code calls without HTTP, inside the copied emoncms tree
 * on its own MariaDB: the graph module's Group::grouplist and Group::get_user_role, and the
 * on_delete_user hook core's call_hook() runs. Run with the run's PHP settings (emoncms_php), it
 * writes a few rows of its own (users 900001–900005, groups named api-…), prints what each call
 * answered as JSON, and removes its rows again. run.php compares the answers.
 *
 *   cd $EMONCMS_WWW && emoncms_php …/api.php
 */
error_reporting(E_ALL);
ini_set('display_errors', 'stderr');
require __DIR__ . '/../emoncms/bootstrap.php';
require_once 'Modules/group/group_model.php';

$u = array(1 => 900001, 2 => 900002, 3 => 900003, 4 => 900004, 99 => 900099);
$cleanup = function () use ($mysqli, $u) {
    $mysqli->query("DELETE FROM group_users WHERE userid IN (" . implode(',', $u) . ")");
    $mysqli->query("DELETE FROM `groups` WHERE name IN ('api-Pumps', 'api-Other')");
};
$cleanup();
$mysqli->query("INSERT INTO `groups` (name, description) VALUES ('api-Pumps', 'd')");
$pumps = (int) $mysqli->insert_id;
$mysqli->query("INSERT INTO `groups` (name, description) VALUES ('api-Other', 'e')");
$other = (int) $mysqli->insert_id;
// 1 administrator, 2 sub-administrator, 3 passive (and administrator of Other), 4 passive twice (B-27).
foreach (array(array($pumps, 1, 1), array($pumps, 2, 2), array($pumps, 3, 0), array($other, 3, 1), array($pumps, 4, 0), array($pumps, 4, 0)) as $m) {
    $mysqli->query("INSERT INTO group_users (groupid, userid, role, admin_rights) VALUES ({$m[0]}, {$u[$m[1]]}, {$m[2]}, 'full')");
}
$count = function ($uid) use ($mysqli) {
    return (int) $mysqli->query("SELECT COUNT(*) FROM group_users WHERE userid = $uid")->fetch_row()[0];
};

$group = new Group($mysqli, $redis, null, null, null);
$out = array(
    'groups' => array('pumps' => $pumps, 'other' => $other),
    'grouplist_3' => $group->grouplist($u[3]),
    'role_admin_asks' => $group->get_user_role($u[1], $u[3], $pumps),
    'role_subadmin_itself' => $group->get_user_role($u[2], $u[2], $pumps),
    'role_passive_asks' => $group->get_user_role($u[3], $u[3], $pumps),
    'role_duplicate_rows' => $group->get_user_role($u[1], $u[4], $pumps),
);
require 'Modules/group/group_hooks.php';
require 'Modules/group/group_hooks.php';   // call_hook() requires the file each time: no redeclaration
$out['hook_dryrun'] = group_on_delete_user(array('userid' => $u[4], 'mode' => 'dryrun'));
$out['hook_dryrun_rows'] = $count($u[4]);
$out['hook_delete'] = group_on_delete_user(array('userid' => $u[4], 'mode' => 'permanentdelete'));
$out['hook_delete_rows'] = $count($u[4]);
$out['hook_no_group'] = group_on_delete_user(array('userid' => $u[99], 'mode' => 'permanentdelete'));
$cleanup();
echo json_encode($out);
