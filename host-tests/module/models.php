<?php
/*
 * What emoncms's own models answer, for the module tests to compare with: run in the copied tree
 * with the run's PHP settings (emoncms_php), it prints {"<userid>": {"feeds": get_user_feeds,
 * "inputs": get_inputs}} for the user ids given.
 *
 *   cd $EMONCMS_WWW && emoncms_php …/models.php 7 8 9
 */
error_reporting(E_ALL);
ini_set('display_errors', 'stderr');
require __DIR__ . '/../emoncms/bootstrap.php';
require_once 'Modules/feed/feed_model.php';
require_once 'Modules/input/input_model.php';
$feed = new Feed($mysqli, $redis, $settings['feed']);
$input = new Input($mysqli, $redis, $feed);
$out = array();
foreach (array_slice($argv, 1) as $uid) {
    $out[(int) $uid] = array('feeds' => $feed->get_user_feeds((int) $uid), 'inputs' => $input->get_inputs((int) $uid));
}
echo json_encode($out, JSON_PRESERVE_ZERO_FRACTION);
