<?php
/*
 * The group module inside real emoncms (a copy of 11.16.8 or 10.2.7 with a private MariaDB, Redis
 * and SMTP server, started by scripts/test-module.sh through host-tests/emoncms/env.sh), seeded
 * by host-tests/emoncms/seed.php through emoncms's own APIs: what only the real host shows.
 *
 *   php emoncms.php --base=URL --seed=RUN/seed.json --run=RUN --version=11.16.8 [--mail=DIR]
 *
 * Prints `module/emoncms-<version>: N passed, M failed` last.
 */
define('EMONCMS_EXEC', 1);
require __DIR__ . '/lib.php';

$opts = getopt('', array('base:', 'seed:', 'run:', 'version:', 'mail::'));
$base = $opts['base'];
$run = $opts['run'];
$version = $opts['version'];
$mail = isset($opts['mail']) ? $opts['mail'] : '';
$v10 = strpos($version, '10.') === 0;
$seed = json_decode((string) file_get_contents($opts['seed']), true)['demo'];
$db = new mysqli('127.0.0.1', getenv('EMONCMS_MYSQL_USER'), getenv('EMONCMS_MYSQL_PASSWORD'),
    getenv('EMONCMS_MYSQL_DATABASE'), (int) getenv('EMONCMS_MYSQL_PORT'));
$count = function ($sql) use ($db) {
    return (int) $db->query($sql)->fetch_row()[0];
};
$installs = $seed['groups']['installs'];
$site = function ($name) use ($seed) {
    return $seed['sites'][$name];
};

$installer = (new Client($base))->login('installer', 'installer');
$technician = (new Client($base))->login('technician', 'technician');

// ---------------------------------------------------------------------------------------------
echo "-- the lists on emoncms's own feeds and inputs\n";
$r = $installer->get('group/userlist.json', array('groupid' => $installs));
T::ok('userlist answers the 42 members', is_array($r->json) && count($r->json) === 42, substr($r->body, 0, 300));
$byName = array();
foreach (is_array($r->json) ? $r->json : array() as $row) {
    $byName[$row['username']] = $row;
}
$s1 = isset($byName['site01']) ? $byName['site01'] : array();
T::eq('a site lists its five PHPFina feeds', isset($s1['feedslist']) ? count($s1['feedslist']) : -1, 5);
T::ok('... with emoncms\'s last time and value', isset($s1['feedslist'][0]['time'], $s1['feedslist'][0]['value'])
    && $s1['feedslist'][0]['time'] > $seed['now'] - 86400, json_encode(isset($s1['feedslist'][0]) ? $s1['feedslist'][0] : null));
T::ok('a site lists its inputs by node and name', isset($s1['inputslist']['emonhp']['heatpump_elec']), json_encode(isset($s1['inputslist']) ? $s1['inputslist'] : null));
T::ok('a member without inputs has `"inputslist":[]`, as 2.0.0 answered', (bool) preg_match(
    '/"username":"technician"[^{}]*?"inputslist":\[\]/', $r->body) || (bool) preg_match('/"inputslist":\[\][^{}]*"username":"technician"/', $r->body),
    json_encode(isset($byName['technician']) ? $byName['technician'] : null));
$owner = (new Client($base))->login('site02', 'site02');
$mine = $owner->get('feed/list.json')->json;
$listed = isset($byName['site02']['feedslist']) ? $byName['site02']['feedslist'] : array();
$byId = function ($rows) {
    $out = array();
    foreach ((array) $rows as $f) {
        $out[(int) $f['id']] = $f;
    }
    ksort($out);
    return $out;
};
T::eq('the member\'s feeds, every field, as emoncms\'s Feed model lists them to the member (feed/list.json)', $byId($listed), $byId($mine));
T::eq('the member\'s inputs as emoncms\'s Input model gives them to the member (input/getinputs.json)',
    isset($byName['site02']['inputslist']) ? $byName['site02']['inputslist'] : null, $owner->get('input/getinputs.json')->json);

$t = $technician->get('group/userlist.json', array('groupid' => $installs));
$tech1 = null;
foreach (is_array($t->json) ? $t->json : array() as $row) {
    if ($row['username'] === 'site01') {
        $tech1 = $row;
    }
}
T::ok('a sub-administrator sees the feeds but no e-mail', is_array($tech1) && count($tech1['feedslist']) === 5 && !isset($tech1['email']),
    json_encode($tech1));

// ---------------------------------------------------------------------------------------------
echo "-- getfeed answers what the owner's own feed/data.json does\n";
$fid = $site('site03')['feeds']['heatpump_heat'];
$q = array('id' => $fid, 'start' => ($seed['now'] - 86400) * 1000, 'end' => $seed['now'] * 1000, 'interval' => 3600,
    'skipmissing' => 1, 'limitinterval' => 0);   // explicit: 10.x and 11.x default skipmissing differently
$own = (new Client($base))->login('site03', 'site03')->get('feed/data.json', $q);
$group = $installer->get('group/getfeed/data.json', $q);
T::ok('getfeed data is the owner\'s data', is_array($own->json) && count($own->json) > 20 && $group->json === $own->json,
    substr($group->body, 0, 200) . "\n" . substr($own->body, 0, 200));
T::fails('getfeed of a feed outside the caller\'s groups', $technician->get('group/getfeed/data.json',
    array('id' => $seed['houses']['house2']['feeds']['use']) + $q), 'You have not access to that feed');

// ---------------------------------------------------------------------------------------------
echo "-- sendlogindetails through emoncms's mailer\n";
$target = $site('site05');
$r = $installer->post('group/sendlogindetails.json', array(), array('groupid' => $installs, 'userid' => $target['id'],
    'emailsubject' => 'Your monitoring account', 'template' => 'Hello {{name}}, your login is {{username}}'));
if ($v10) {
    // 10.x sends mail only through SwiftMailer, which a plain emoncms 10.2.7 does not ship.
    T::ok('10.x without SwiftMailer: a clear failure', is_array($r->json) && $r->json['success'] === false
        && strpos((string) $r->json['message'], 'Email could not be sent') === 0, $r->body);
} else {
    T::eq('sendlogindetails', $r->json, array('success' => true));
    $files = glob("$mail/*.eml");
    $found = null;
    foreach ($files as $file) {
        $text = (string) file_get_contents($file);
        if (strpos($text, 'Subject: Your monitoring account') !== false) {
            $found = array('text' => $text, 'env' => json_decode((string) file_get_contents(substr($file, 0, -4) . '.json'), true));
        }
    }
    T::ok('the SMTP server received the mail for the member', $found && $found['env']['to'] === array('site05@example.org'),
        json_encode($found ? $found['env'] : glob("$mail/*")));
    T::ok('... with the template filled in', $found && strpos($found['text'], 'Hello Site 5, your login is site05') !== false,
        $found ? substr($found['text'], 0, 800) : '');
}

// ---------------------------------------------------------------------------------------------
echo "-- fullremoveuser deletes the whole account on this core\n";
$gone = $site('site40');
$feeds = array_values($gone['feeds']);
$datadir = "$run/phpfina/";
T::ok('before: the site\'s PHPFina files exist', is_file($datadir . $feeds[0] . '.dat') || is_file($datadir . $feeds[0] . '.meta'));
$r = $installer->get('group/fullremoveuser.json', array('groupid' => $installs, 'userid' => $gone['id']));
T::eq('fullremoveuser answers success', is_array($r->json) ? $r->json['success'] : $r->body, true);
T::eq('... the account is gone', $count('SELECT COUNT(*) FROM users WHERE id = ' . (int) $gone['id']), 0);
T::eq('... its feeds are gone', $count('SELECT COUNT(*) FROM feeds WHERE userid = ' . (int) $gone['id']), 0);
T::eq('... its inputs are gone', $count('SELECT COUNT(*) FROM input WHERE userid = ' . (int) $gone['id']), 0);
T::eq('... its memberships are gone', $count('SELECT COUNT(*) FROM group_users WHERE userid = ' . (int) $gone['id']), 0);
clearstatcache();
T::ok('... and its PHPFina files', !is_file($datadir . $feeds[0] . '.dat') && !is_file($datadir . $feeds[0] . '.meta'));
$log = (string) @file_get_contents("$run/log/emoncms.log");
T::ok('... and emoncms logged no error for it', strpos($log, 'delete_user') === false && stripos($log, 'mysqli_sql_exception') === false,
    implode("\n", array_slice(preg_grep('/ERROR/', explode("\n", $log)), -5)));

// ---------------------------------------------------------------------------------------------
$server = (string) @file_get_contents("$run/server.log");
$module = array_values(preg_grep('#(Warning|Notice|Deprecated|Fatal).*Modules/group/#', explode("\n", $server)));
T::ok('no PHP warning from the module in the server log', !$module, implode("\n", array_slice($module, 0, 5)));
T::ok('every response was free of PHP notices (' . T::$responses . ' responses)', !T::$noisy, implode("\n", T::$noisy));
echo "module/emoncms-$version: " . T::$passed . ' passed, ' . T::$failed . " failed\n";
exit(T::$failed ? 1 : 0);
