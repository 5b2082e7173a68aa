<?php
/*
 * Seeds a running emoncms the way its users would fill it: accounts through user/register.json,
 * feeds through feed/create.json (PHPFina), their data through feed/insert.json, inputs through
 * input/post.json and input/process/set.json, and the groups through the group module's own
 * routes (create, addmemberauth) as each group's administrator.
 *
 *   php seed.php --base=http://127.0.0.1:PORT/ --out=RUN/seed.json demo
 *
 * `demo`: an installer with 40 heat-pump sites (sites 37–40 silent for 3 h, 1 day, 3 days and a
 * week), a technician (sub-administrator), a research project reading 12 of the sites with
 * read-only rights, a community group of 6 households with an organiser and an observer, and a
 * site administrator in no group. Writes what it made (ids, API keys, groups) to --out.
 */
if (PHP_SAPI !== 'cli') {
    exit(1);
}
error_reporting(E_ALL);
ini_set('display_errors', 'stderr');

$opts = getopt('', array('base:', 'out:'), $rest);
$base = rtrim(isset($opts['base']) ? $opts['base'] : 'http://127.0.0.1:8080/', '/') . '/';
$out = isset($opts['out']) ? $opts['out'] : 'seed.json';
$steps = array_slice($argv, $rest);

final class SeedClient
{
    private $curl;
    private $base;
    private $cookies;
    /** The session's request token (the module answers it in X-Emongroups-Csrf), sent back. */
    private $csrf = '';

    public function __construct($base)
    {
        $this->base = $base;
        $this->cookies = tempnam(sys_get_temp_dir(), 'emongroups-seed-');
        $this->curl = curl_init();
    }

    public function __destruct()
    {
        if (is_file($this->cookies)) {
            unlink($this->cookies);
        }
    }

    /** One request; the decoded JSON answer (dies on anything else). */
    public function call($method, $path, array $query = array(), array $post = null)
    {
        $url = $this->base . $path . ($query ? '?' . http_build_query($query) : '');
        curl_setopt_array($this->curl, array(
            CURLOPT_URL => $url, CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 120,
            CURLOPT_COOKIEJAR => $this->cookies, CURLOPT_COOKIEFILE => $this->cookies,
            CURLOPT_CUSTOMREQUEST => $method, CURLOPT_POST => $method === 'POST',
            CURLOPT_POSTFIELDS => $post === null ? null : http_build_query($post),
            CURLOPT_HTTPHEADER => $this->csrf !== '' ? array('X-Emongroups-Csrf: ' . $this->csrf) : array(),
            CURLOPT_HEADERFUNCTION => function ($curl, $line) {
                if (stripos($line, 'X-Emongroups-Csrf:') === 0) {
                    $this->csrf = trim(substr($line, strlen('X-Emongroups-Csrf:')));
                }
                return strlen($line);
            },
        ));
        if ($post === null) {
            curl_setopt($this->curl, CURLOPT_HTTPGET, $method === 'GET');
        }
        $body = curl_exec($this->curl);
        $status = curl_getinfo($this->curl, CURLINFO_RESPONSE_CODE);
        $json = json_decode((string) $body, true);
        if ($body === false || $status !== 200 || ($json === null && trim((string) $body) !== 'null')) {
            fwrite(STDERR, "seed: $method $url answered $status: " . substr((string) $body, 0, 500) . "\n");
            exit(1);
        }
        return $json;
    }

    public function ok($method, $path, array $query = array(), array $post = null)
    {
        $answer = $this->call($method, $path, $query, $post);
        if (is_array($answer) && isset($answer['success']) && $answer['success'] === false) {
            fwrite(STDERR, "seed: $method $path failed: " . json_encode($answer) . "\n");
            exit(1);
        }
        return $answer;
    }
}

/** An account through user/register.json, then logged in (the session is kept by the client). */
function seed_user($base, $username, $password, array $profile = array())
{
    $client = new SeedClient($base);
    $answer = $client->ok('POST', 'user/register.json', array(), array('username' => $username,
        'password' => $password, 'email' => "$username@example.org", 'timezone' => 'Europe/London'));
    $client->ok('POST', 'user/login.json', array(), array('username' => $username, 'password' => $password));
    $client->call('GET', 'group/grouplist.json');   // the session's request token, as the page gets it
    $me = $client->ok('GET', 'user/get.json');
    if ($profile) {
        // The profile fields a person fills in on the account page (user/set.json, `data` JSON).
        // set() writes every field it knows, so the timezone goes too; tags are a JSON text.
        $profile += array('timezone' => 'Europe/London');
        $client->ok('POST', 'user/set.json', array(), array('data' => json_encode($profile)));
    }
    return array('client' => $client, 'row' => array('id' => (int) $me['id'], 'username' => $username, 'password' => $password,
        'apikey_read' => $me['apikey_read'], 'apikey_write' => $me['apikey_write']), 'registered' => $answer);
}

/**
 * A PHPFina feed with a point every $step seconds over $span seconds, ending $ago seconds ago;
 * $fn(t) gives the value. Answers the feed id.
 */
function seed_feed(SeedClient $c, $name, $tag, $unit, $now, $ago, $fn, $span = 172800, $step = 600)
{
    $feed = $c->ok('GET', 'feed/create.json', array('tag' => $tag, 'name' => $name, 'datatype' => 1, 'engine' => 5,
        'options' => json_encode(array('interval' => $step)), 'unit' => $unit));
    $id = (int) $feed['feedid'];
    $last = ($now - $ago) - ($now - $ago) % $step;
    $points = array();
    for ($t = $last - $span + $step; $t <= $last; $t += $step) {
        $points[] = array($t, round($fn($t), 2));
    }
    foreach (array_chunk($points, 1000) as $chunk) {
        $c->ok('POST', 'feed/insert.json', array('id' => $id), array('data' => json_encode($chunk)));
    }
    return $id;
}

/** Inputs of one node posted at $time, each logged to its feed (input/process/set.json). */
function seed_inputs(SeedClient $c, $node, array $values, array $feeds, $time)
{
    $c->ok('GET', 'input/post.json', array('node' => $node, 'time' => $time, 'fulljson' => json_encode($values)));
    $inputs = $c->ok('GET', 'input/list.json');
    foreach ($inputs as $input) {
        if ($input['nodeid'] === $node && isset($feeds[$input['name']])) {
            // 11.x takes a JSON list of {fn, args}; 10.x its older `processid:arg` text.
            $answer = $c->call('POST', 'input/process/set.json', array('inputid' => $input['id']), array('processlist' =>
                json_encode(array(array('fn' => 'process__log_to_feed', 'args' => array($feeds[$input['name']]))))));
            if (empty($answer['success'])) {
                $c->ok('POST', 'input/process/set.json', array('inputid' => $input['id']),
                    array('processlist' => '1:' . $feeds[$input['name']]));
            }
        }
    }
}

function seed_demo($base)
{
    mt_srand(42);
    $now = time();
    $made = array();
    // The first account of an emoncms is its site administrator.
    foreach (array('admin' => array('name' => 'Site Admin'), 'installer' => array('name' => 'Ivy Installer', 'location' => 'Machynlleth'),
        'technician' => array('name' => 'Tom Technician'), 'researcher' => array('name' => 'Rhys Researcher', 'location' => 'Cardiff'),
        'organiser' => array('name' => 'Olwen Organiser'), 'observer' => array('name' => 'Owen Observer')) as $login => $profile) {
        $made[$login] = seed_user($base, $login, $login, $profile);
    }
    $logins = array();
    foreach ($made as $login => $m) {
        $logins[$login] = $m['row'];
    }
    $installer = $made['installer']['client'];
    $researcher = $made['researcher']['client'];
    $organiser = $made['organiser']['client'];

    $group = function (SeedClient $c, array $fields) {
        return (int) $c->ok('GET', 'group/create.json', $fields)['groupid'];
    };
    $add = function (SeedClient $c, $gid, $username, $role, $rights = 'full') {
        $c->ok('GET', 'group/addmemberauth.json', array('groupid' => $gid, 'username' => $username, 'password' => $username,
            'role' => $role, 'admin_rights' => $rights));
    };
    $installs = $group($installer, array('name' => 'HeatPumpInstalls', 'description' => 'Heat-pump-sites-we-installed-and-look-after',
        'organization' => 'IvyHeat', 'area' => 'Wales', 'visibility' => 'private', 'access' => 'closed'));
    $add($installer, $installs, 'technician', 2);
    $study = $group($researcher, array('name' => 'HeatPumpStudy', 'description' => 'Research-project:seasonal-performance',
        'organization' => 'University', 'area' => 'UK', 'visibility' => 'private', 'access' => 'closed'));
    $village = $group($organiser, array('name' => 'SolarVillage', 'description' => 'Community-energy-group',
        'organization' => 'VillageEnergy', 'area' => 'Llan', 'visibility' => 'public', 'access' => 'open'));
    $add($organiser, $village, 'observer', 4);

    $stale = array(37 => 3 * 3600, 38 => 86400, 39 => 3 * 86400, 40 => 7 * 86400);
    $sites = array();
    for ($n = 1; $n <= 40; $n++) {
        $name = sprintf('site%02d', $n);
        $s = seed_user($base, $name, $name, array('name' => "Site $n", 'location' => "Postcode SY20 {$n}AB"));
        $c = $s['client'];
        $ago = isset($stale[$n]) ? $stale[$n] : mt_rand(5, 300);
        $phase = mt_rand(0, 3600);
        $size = 5 + $n % 4;
        $outside = function ($t) use ($phase) { return 7 + 5 * sin(2 * M_PI * (($t + $phase) % 86400) / 86400 - M_PI / 2); };
        $heat = function ($t) use ($outside, $size) { return max(0, (19 - $outside($t)) * 180 * $size / 6); };
        $cop = function ($t) use ($outside) { return 2.6 + 0.07 * $outside($t); };
        $flow = function ($t) use ($outside) { return 33 + (19 - $outside($t)) * 0.6; };
        $feeds = array(
            'heatpump_elec' => seed_feed($c, 'heatpump_elec', 'heatpump', 'W', $now, $ago,
                function ($t) use ($heat, $cop) { return $heat($t) / $cop($t); }),
            'heatpump_heat' => seed_feed($c, 'heatpump_heat', 'heatpump', 'W', $now, $ago, $heat),
            'flowT' => seed_feed($c, 'flowT', 'heatpump', '°C', $now, $ago, $flow),
            'returnT' => seed_feed($c, 'returnT', 'heatpump', '°C', $now, $ago, function ($t) use ($flow) { return $flow($t) - 5; }),
            'outsideT' => seed_feed($c, 'outsideT', 'heatpump', '°C', $now, $ago, $outside),
        );
        seed_inputs($c, 'emonhp', array('heatpump_elec' => 0, 'heatpump_heat' => 0), $feeds, $now - $ago);
        $row = $s['row'];
        $row['feeds'] = $feeds;
        $add($installer, $installs, $name, 0, 'full');
        // The installer tags the site (emoncms's own account page has no tags field; core's post()
        // would strip the backslashes of a JSON text inside user/set.json's JSON).
        $installer->ok('POST', 'group/setuserinfo.json', array(), array('groupid' => $installs, 'userid' => $row['id'],
            'tags' => json_encode(array('heatpump' => $n % 3 ? 'air-source' : 'ground-source', 'kW' => 5 + $n % 4))));
        if ($n <= 12) {
            // The study reads data only: no rights over the households' accounts.
            $add($researcher, $study, $name, 0, 'read');
        }
        $sites[$name] = $row;
    }

    $houses = array();
    for ($n = 1; $n <= 6; $n++) {
        $name = "house$n";
        $h = seed_user($base, $name, $name, array('name' => "House $n", 'location' => 'Llan'));
        $c = $h['client'];
        $peak = 1500 + 400 * $n;
        $row = $h['row'];
        $row['feeds'] = array(
            'use' => seed_feed($c, 'use', 'house', 'W', $now, mt_rand(5, 60),
                function ($t) use ($n) { return 300 + 200 * $n + 250 * sin(2 * M_PI * ($t % 86400) / 86400); }),
            'solar' => seed_feed($c, 'solar', 'house', 'W', $now, mt_rand(5, 50),
                function ($t) use ($peak) { return max(0, $peak * sin(M_PI * (($t % 86400) - 21600) / 43200)); }),
        );
        if ($n === 1) {
            // One household shares its solar feed publicly.
            $c->ok('GET', 'feed/set.json', array('id' => $row['feeds']['solar'], 'fields' => json_encode(array('public' => 1))));
        }
        $add($organiser, $village, $name, 3, 'read');
        $houses[$name] = $row;
    }
    return array('now' => $now, 'logins' => $logins, 'sites' => $sites, 'houses' => $houses,
        'groups' => array('installs' => $installs, 'study' => $study, 'village' => $village));
}

$summary = is_file($out) ? (json_decode((string) file_get_contents($out), true) ?: array()) : array();
foreach ($steps as $step) {
    if ($step === 'demo') {
        $summary['demo'] = seed_demo($base);
    } else {
        fwrite(STDERR, "unknown step $step\n");
        exit(2);
    }
    file_put_contents($out, json_encode($summary, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));
}
