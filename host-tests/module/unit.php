<?php
/*
 * The group module's files outside HTTP: emoncms 10.x behaviour (get() answering "", the
 * 6-argument Feed::get_data and the average API, User::register with 3 arguments, User::set
 * answering nothing), both menu formats, the guard on
 * every file, quoting of `groups` (B-23), the schema, and a missing extension.
 *
 *   php -d extension=…/libemongroups_php.so unit.php
 *
 * Prints `module/unit: N passed, M failed` last.
 */
define('EMONCMS_EXEC', 1);
require __DIR__ . '/lib.php';
session_save_path(sys_get_temp_dir());
session_id('emongroupsunit' . getmypid());
session_start();   // before any output: the menu reads $_SESSION of an active session

$moduleDir = realpath(__DIR__ . '/../../php-ext/module/group');
$files = glob("$moduleDir/*.php");

// --- every file: the guard first, no direct access, no unquoted `groups` -------------------------
foreach ($files as $file) {
    $name = basename($file);
    $code = (string) file_get_contents($file);
    $tokens = array_values(array_filter(token_get_all($code), function ($t) {
        return !is_array($t) || !in_array($t[0], array(T_OPEN_TAG, T_WHITESPACE, T_COMMENT, T_DOC_COMMENT), true);
    }));
    $first = '';
    foreach (array_slice($tokens, 0, 8) as $t) {
        $first .= is_array($t) ? $t[1] : $t;
    }
    T::ok("$name starts with the EMONCMS_EXEC guard", strpos($first, "defined('EMONCMS_EXEC')ordie(") === 0, $first);
    $out = shell_exec(escapeshellarg(PHP_BINARY) . ' -n ' . escapeshellarg($file) . ' 2>&1');
    T::eq("$name refuses direct access", $out, 'Restricted access');
    T::ok("$name never names `groups` unquoted in SQL (B-23)",
        !preg_match('/\b(FROM|INTO|UPDATE|JOIN|TABLE)\s+groups\b/i', $code));
}

// --- the page's texts go through gettext, as emoncms modules' do -------------------------------
$view = (string) file_get_contents("$moduleDir/group_view.php");
$markup = substr($view, (int) strpos($view, '<link rel="stylesheet"'));
$markup = preg_replace('/<script\b.*?<\/script>|<\?php.*?\?>|<!--.*?-->/s', '', $markup);
preg_match_all('/>\s*([^<>]*[A-Za-z][^<>]*?)\s*</', $markup, $texts);
preg_match_all('/\b(?:placeholder|aria-label|title)="([^"]*[A-Za-z][^"]*)"/', $markup, $attributes);
T::eq('every text of the page goes through _()', array_merge($texts[1], $attributes[1]), array());
T::ok('... and the page still has texts to translate', substr_count($view, "_('") > 50);

// ... and so do group.js's: each t("…") it calls has its _('…') in the view's text table, and
// the table holds nothing group.js does not show.
$js = (string) file_get_contents("$moduleDir/group.js");
preg_match_all('/\bt\(([^)]?)/', $js, $calls);
T::eq('group.js calls t() only with a literal text', array_values(array_filter($calls[1], function ($c) { return $c !== '"'; })),
    array('e'));   // the one exception: its own definition, function t(english, …)
preg_match_all('/\bt\("((?:[^"\\\\]|\\\\.)*)"/', $js, $used);
preg_match_all("/^    '((?:[^'\\\\]|\\\\.)*)' => _\('((?:[^'\\\\]|\\\\.)*)'\),\$/m", $view, $table);
$used = array_values(array_unique($used[1]));
sort($used);
$keys = $table[1];
sort($keys);
T::eq('every text group.js shows is in the view\'s table, and only those', $keys, $used);
T::eq('... each through _() with its own English text', $table[1], $table[2]);
T::ok('... and group.js shows texts', count($used) > 30);

// --- the schema: 2.0.0's columns, changes only additive ------------------------------------------
$schema = array();
require "$moduleDir/group_schema.php";
T::eq('groups columns as 2.0.0', array_keys($schema['groups']), array('id', 'name', 'description', 'organization', 'area', 'visibility', 'access'));
T::eq('group_users columns as 2.0.0', array_keys($schema['group_users']), array('groupid', 'userid', 'role', 'admin_rights'));
T::eq('group_users types as 2.0.0', array_map(function ($c) { return $c['type']; }, $schema['group_users']),
    array('groupid' => 'int(11)', 'userid' => 'int(11)', 'role' => 'int(1)', 'admin_rights' => 'varchar(16)'));
$module = json_decode((string) file_get_contents("$moduleDir/module.json"), true);
T::ok('module.json has a name and a version', !empty($module['name']) && !empty($module['version']));

// --- emoncms 10.x helpers: get()/post()/prop() answer "" for a missing parameter -----------------
function get($name)
{
    return stripslashes(rawurldecode(isset($_GET[$name]) ? $_GET[$name] : ''));
}
function post($name)
{
    return stripslashes(rawurldecode(isset($_POST[$name]) ? $_POST[$name] : ''));
}
function prop($name)
{
    return stripslashes(isset($_POST[$name]) ? $_POST[$name] : (isset($_GET[$name]) ? $_GET[$name] : ''));
}
require "$moduleDir/group_controller.php";
$_GET = array('groupid' => '3', 'name' => '', 'description' => 'a%20b');
$_POST = array();
$params = group_request_params('editgroup', '');
T::eq('10.x get(): a missing parameter is null, an empty one ""', $params, array('groupid' => '3', 'name' => '',
    'description' => 'a b', 'organization' => null, 'area' => null, 'visibility' => null, 'access' => null));
$_GET = array('groupid' => '3');
$_POST = array('userid' => '4', 'name' => 'N');
T::eq('setuserinfo reads the POST body only', array_slice(group_request_params('setuserinfo', ''), 0, 4),
    array('groupid' => null, 'userid' => '4', 'username' => null, 'name' => 'N'));
$_GET = array('groupid' => '3', 'email' => 'e@x.org');
$_POST = array('username' => 'u');
T::eq('createuseraddtogroup reads either (prop)', array_slice(group_request_params('createuseraddtogroup', ''), 0, 3),
    array('groupid' => '3', 'email' => 'e@x.org', 'username' => 'u'));
$_GET = array('id' => '5');
T::eq('getfeed takes the subaction from the route', group_request_params('getfeed', 'average')['subaction'], 'average');
T::eq('getfeed without subaction', group_request_params('getfeed', '')['subaction'], null);
T::eq('unknown routes read nothing', group_request_params('nosuchroute', ''), array());
$_GET = array('apikey' => 'k');
T::eq('10.x API-key sessions are recognised by the request', group_engine_session(array('userid' => '5', 'read' => 1, 'write' => 1,
    'admin' => '0'))['apikey'], true);
$_GET = array();
T::eq('session flags from mysqli strings', group_engine_session(array('userid' => '5', 'read' => 1, 'write' => '0', 'admin' => '1',
    'username' => 'bob')), array('userid' => 5, 'read' => true, 'write' => false, 'admin' => true, 'apikey' => false, 'username' => 'bob'));

// --- emoncms 10.x models, faked: what GroupHost calls -------------------------------------------------
class Feed
{
    public static $calls = array();

    public function __construct($mysqli, $redis, $settings)
    {
    }

    public function get_data($feedid, $start, $end, $outinterval, $skipmissing, $limitinterval)
    {
        self::$calls[] = array('get_data', $feedid, $start, $end, $outinterval, $skipmissing, $limitinterval);
        return array(array(1700000000000, 1.5), array(1700003600000, null));
    }

    public function get_average($feedid, $start, $end, $interval)
    {
        self::$calls[] = array('get_average', $feedid, $start, $end, $interval);
        return array(array(1700000000000, 2.5));
    }

    public function get_average_DMY($feedid, $start, $end, $mode)
    {
        self::$calls[] = array('get_average_DMY', $feedid, $start, $end, $mode);
        return array(array(1700000000000, 3.5));
    }

    public function get_user_feeds($userid)
    {
        return array((object) array('id' => '9', 'name' => 'power', 'public' => '0', 'time' => 1, 'value' => 2));
    }
}

class User
{
    public $registered = array();
    public $sets = array();

    public function register($username, $password, $email)
    {
        $this->registered[] = func_get_args();
        return array('success' => true, 'userid' => 77, 'apikey_read' => 'r', 'apikey_write' => 'w');
    }

    public function get_apikeys_from_login($username, $password)
    {
        return $password === 'ok' ? array('success' => true, 'apikey_write' => 'w', 'apikey_read' => 'r')
            : array('success' => false, 'message' => 'Incorrect authentication');
    }

    public function get_id($username)
    {
        return 42;
    }

    public function get($userid)
    {
        return (object) array('id' => $userid, 'name' => 'Old', 'location' => '', 'bio' => '', 'timezone' => 'UTC', 'tags' => null,
            'gravatar' => '', 'language' => 'en_GB', 'startingpage' => 'feed/list');
    }

    public function set($userid, $data)
    {
        $this->sets[] = array($userid, $data);
        if (isset($_SESSION)) {
            $_SESSION['timezone'] = $data->timezone;
        }
        return $userid === 13 ? array('success' => false, 'message' => 'Error updating user info') : null;
    }

    public function change_username($userid, $username)
    {
        return array('success' => false, 'message' => 'Username already exists');
    }
}

require "$moduleDir/group_model.php";
require "$moduleDir/group_host.php";
$user = new User();
$host = new GroupHost($user, null, false, array('feed' => array()), 'UTC');
$need = function (array $fields) {
    return (object) ($fields + array('feedids' => array(9), 'mode' => 'data', 'start' => 1700000000000, 'end' => 1700086400000,
        'interval' => 3600, 'skipmissing' => 1, 'limitinterval' => 0, 'average_mode' => null, 'timeformat' => null, 'name' => null));
};
$host->feedData($need(array()));
T::eq('10.x get_data gets its 6 arguments in order (B-16)', end(Feed::$calls), array('get_data', 9, 1700000000000, 1700086400000, 3600, 1, 0));
$host->feedData($need(array('mode' => 'average')));
T::eq('10.x average with an interval: get_average', end(Feed::$calls), array('get_average', 9, 1700000000000, 1700086400000, 3600));
$host->feedData($need(array('mode' => 'average', 'interval' => null, 'average_mode' => 'weekly')));
T::eq('10.x average by mode: get_average_DMY', end(Feed::$calls), array('get_average_DMY', 9, 1700000000000, 1700086400000, 'weekly'));
$csv = $host->feedData($need(array('mode' => 'csv', 'feedids' => array(9, 9), 'start' => 1700000000, 'end' => 1700007200,
    'timeformat' => 0, 'name' => 'x')));
T::eq('csv from get_data, one column per feed, times in seconds', $csv, "1700000000,1.5,1.5\n1700003600,,\n");
T::eq('csv asks get_data in ms', array_slice(end(Feed::$calls), 2, 2), array(1700000000000.0, 1700007200000.0));
T::eq('10.x register: 3 arguments', array($host->registerUser('bob', 'secret', 'b@x.org', 'UTC')['userid'], $user->registered[0]),
    array(77, array('bob', 'secret', 'b@x.org')));
T::eq('get_apikeys_from_login without userid: looked up', $host->verifyLogin('bob', 'ok')['userid'], 42);
T::eq('a failed login passes through', $host->verifyLogin('bob', 'no'), array('success' => false, 'message' => 'Incorrect authentication'));
$_SESSION = array('timezone' => 'Europe/London');
$host->updateProfile((object) array('kind' => 'update_user_profile', 'userid' => 12, 'name' => 'New', 'tags' => (object) array('a' => 1)));
T::eq('10.x User::set answering nothing is a success', array($user->sets[0][1]->name, $user->sets[0][1]->tags), array('New', '{"a":1}'));
T::eq('... and the caller\'s session timezone is kept', $_SESSION['timezone'], 'Europe/London');
$refused = '';
try {
    $host->updateProfile((object) array('kind' => 'update_user_profile', 'userid' => 13, 'name' => 'New'));
} catch (GroupHostRefusal $e) {
    $refused = $e->getMessage();
}
T::eq('User::set failing refuses the change', $refused, 'Error updating user info');
$refused = '';
try {
    $host->setUsername(12, 'taken');
} catch (GroupHostRefusal $e) {
    $refused = $e->getMessage();
}
T::eq('change_username failing refuses the change', $refused, 'Username already exists');
T::eq('feeds from get_user_feeds (objects) become rows with their owner', $host->userFeeds(5),
    array(array('id' => '9', 'name' => 'power', 'public' => '0', 'time' => 1, 'value' => 2, 'userid' => 5)));

// --- the adapter ---------------------------------------------------------------------------------------
T::eq('MySQL quotes `groups` with backticks (B-23)', (new GroupDb(mysqli_init()))->table('groups'), '`groups`');
$refused = null;
try {
    new GroupDb(new stdClass());
} catch (GroupDbFailure $e) {
    $refused = $e->getMessage();
}
T::eq('GroupDb takes emoncms\'s mysqli connection only', $refused, 'the group module needs emoncms\'s mysqli connection');
// The graph module's interface (Group::grouplist, Group::get_user_role) and the on_delete_user
// hook run on emoncms's MariaDB: run.php's "graph module's interface" section (api.php).

// --- menus: both formats (B-22) ------------------------------------------------------------------------------
function menu_with(array $menu, array $session, array $sessionKeys, $dir = null)
{
    global $moduleDir;
    $cwd = getcwd();
    if ($dir) {
        chdir($dir);
    }
    $_SESSION = $sessionKeys;
    require "$moduleDir/group_menu.php";
    chdir($cwd);
    return $menu;
}
$impersonating = array('userid' => 7, 'username' => 'site01', 'previous_userid' => 2, 'previous_username' => 'installer',
    'previous_target' => 7, 'previous_since' => 1800000000);
$m = menu_with(array('setup' => array('l2' => array())), array('write' => 1), $impersonating);
T::eq('>= 10.5: Groups entry', $m['setup']['l2']['group']['href'], 'group');
T::eq('>= 10.5: the way back', array($m['setup']['l2']['grouplogback']['name'], $m['setup']['l2']['grouplogback']['href']),
    array('installer =&gt; site01', 'group/logasprevioususer'));
$m = menu_with(array('sidebar' => array('emoncms' => array())), array('write' => 1), $impersonating);
T::eq('10.0 – 10.4: Groups entry in the sidebar section core pages show (emoncms)', $m['sidebar']['emoncms'][0]['path'], 'group');
T::eq('10.0 – 10.4: the way back, in the same section', array($m['sidebar']['emoncms'][1]['text'],
    $m['sidebar']['emoncms'][1]['path']), array('installer =&gt; site01', 'group/logasprevioususer'));
T::ok('10.0 – 10.4: nothing in the setup section, which core pages do not show', !isset($m['sidebar']['setup']));
$m = menu_with(array('setup' => array('l2' => array())), array('write' => 1), array('previous_target' => 8) + $impersonating);
T::ok('a session whose user is not the one setuser made: no way back offered', !isset($m['setup']['l2']['grouplogback']));
$m = menu_with(array('setup' => array('l2' => array())), array('write' => 0, 'read' => 1), array('userid' => 7));
T::eq('no write session, not impersonating: no entries', $m['setup']['l2'], array());
$old = sys_get_temp_dir() . '/emongroups-menu-' . getmypid();
@mkdir($old);
file_put_contents("$old/version.json", '{"version":"10.2.7"}');
$m = menu_with(array(), array('write' => 1), array(), $old);
T::ok('an empty menu on 10.2.7 (version.json): sidebar format', isset($m['sidebar']['emoncms'][0]) && !isset($m['setup']));
file_put_contents("$old/version.json", '{"version":"11.16.8"}');
$m = menu_with(array(), array('write' => 1), array(), $old);
T::ok('an empty menu on 11.16.8 (version.json): l2 format', isset($m['setup']['l2']['group']) && !isset($m['sidebar']));
unlink("$old/version.json");
rmdir($old);

// --- without the extension -----------------------------------------------------------------------------------
$script = '<?php define("EMONCMS_EXEC", 1); require ' . var_export("$moduleDir/group_model.php", true) . ';'
    . '$g = new Group(mysqli_init(), false);'
    . 'echo json_encode($g->route("grouplist", array(), array("userid" => 1, "read" => true), null));';
$tmp = tempnam(sys_get_temp_dir(), 'eg');
file_put_contents($tmp, $script);
$out = shell_exec(escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg($tmp) . ' 2>/dev/null');
unlink($tmp);
T::eq('without the extension: a clear failure, no crash', json_decode((string) $out, true),
    array('format' => 'json', 'body' => array('success' => false, 'message' => 'The emongroups PHP extension is not loaded')));

session_destroy();
echo 'module/unit: ' . T::$passed . ' passed, ' . T::$failed . " failed\n";
exit(T::$failed ? 1 : 0);
