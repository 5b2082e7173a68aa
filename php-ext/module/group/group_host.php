<?php
/*
 * emongroups — what only emoncms can do for the engine: its own models.
 *
 * The engine asks (`need`) for a login check, a registration, an account deletion, an e-mail or
 * feed data; and its changes to users rows (profile, username, e-mail) go through the User
 * model so that core's own filtering and rules apply. This class hides the differences between
 * emoncms 10.x and 11.x (group 2.0.0 §4): Feed::get_data's 6 vs 12 parameters, User::register's
 * optional 4th parameter, User::set's return value.
 */
defined('EMONCMS_EXEC') or die('Restricted access');

class GroupHost
{
    private $user;
    private $mysqli;
    private $redis;
    private $settings;
    private $timezone;
    private $feed = null;
    private $input = null;

    /**
     * $user: emoncms's User model; $mysqli: the connection its models use; $settings: emoncms
     * settings (for $settings['feed']); $timezone: the caller's timezone for feed averages.
     */
    public function __construct($user, $mysqli, $redis, $settings, $timezone = 'UTC')
    {
        $this->user = $user;
        $this->mysqli = $mysqli;
        $this->redis = $redis;
        $this->settings = is_array($settings) ? $settings : array();
        $this->timezone = is_string($timezone) && $timezone !== '' ? $timezone : 'UTC';
    }

    // --- needs -------------------------------------------------------------------------------

    public function verifyLogin($username, $password)
    {
        $answer = self::asArray($this->user->get_apikeys_from_login($username, $password));
        // Cores that answer success without the id: look it up by the (verified) username.
        if (!empty($answer['success']) && !isset($answer['userid']) && method_exists($this->user, 'get_id')) {
            $answer['userid'] = (int) $this->user->get_id($username);
        }
        return $answer;
    }

    public function registerUser($username, $password, $email, $timezone)
    {
        $method = new ReflectionMethod($this->user, 'register');
        if ($method->getNumberOfParameters() >= 4) {
            $answer = $this->user->register($username, $password, $email, $timezone);
        } else {
            $answer = $this->user->register($username, $password, $email);
        }
        if ($answer === null) {
            // 11.x answers nothing when its verification e-mail could not be sent.
            return array('success' => false, 'message' => 'Error creating user');
        }
        return self::asArray($answer);
    }

    /** Core's permanent deletion, then the on_delete_user hooks; the report, as 2.0.0 gave it. */
    public function deleteUser($userid)
    {
        if (!function_exists('delete_user')) {
            require_once 'Modules/user/deleteuser.php';
        }
        // emoncms 10.x's delete_user() looks into tables of modules that may not be installed
        // (app_config, dashboard, …) and was written for mysqli answering false with a warning;
        // PHP >= 8.1 makes mysqli throw instead, which stopped the deletion after the feeds were
        // gone. Core's own behaviour is restored for the call, then the caller's mode.
        $driver = new mysqli_driver();
        $mode = $driver->report_mode;
        mysqli_report(MYSQLI_REPORT_OFF);
        try {
            $report = (string) delete_user($userid, 'permanentdelete');
        } catch (Throwable $e) {
            throw new GroupHostRefusal("The account deletion stopped part-way (some of the user's data may already be gone): "
                . $e->getMessage());
        } finally {
            mysqli_report($mode);
        }
        $left = $this->mysqli->query('SELECT id FROM users WHERE id = ' . (int) $userid);
        if ($left && $left->num_rows > 0) {
            throw new GroupHostRefusal("The account deletion stopped part-way (some of the user's data may already be gone)");
        }
        if (function_exists('call_hook')) {
            $hooked = call_hook('on_delete_user', array('userid' => $userid, 'mode' => 'permanentdelete'));
            if (is_string($hooked)) {
                $report .= $hooked;
            }
        }
        return "PERMANENT DELETE:\n" . $report;
    }

    public function sendEmail($need)
    {
        if (!class_exists('Email')) {
            require_once 'Lib/email.php';
        }
        try {
            $email = new Email();
            $email->to($need->to);
            if ($need->bcc !== null && method_exists($email, 'bcc')) {
                $copy = $this->user->get_email((int) $need->bcc);
                if (is_string($copy) && $copy !== '') {
                    $email->bcc($copy);
                }
            }
            $email->subject($need->subject);
            $email->body($need->body);
            $answer = self::asArray($email->send());
        } catch (Throwable $e) {
            return array('success' => false, 'message' => $e->getMessage());
        }
        if (!is_array($answer)) {
            return array('success' => false, 'message' => 'no answer from the mailer');
        }
        return array('success' => !empty($answer['success']),
            'message' => isset($answer['message']) ? (string) $answer['message'] : '');
    }

    /** `feed_data`: data/average through Feed::get_data, or the CSV text of one or more feeds. */
    public function feedData($need)
    {
        $ids = array_map('intval', (array) $need->feedids);
        if ($need->mode === 'csv') {
            return $this->csv($ids, $need);
        }
        $average = $need->mode === 'average';
        return $this->data($ids[0], $need->start, $need->end, $need->interval, $average,
            $need->average_mode, $need->skipmissing, $need->limitinterval);
    }

    // --- facts ---------------------------------------------------------------------------------

    /** A member's feeds as Feed::get_user_feeds lists them (time and value included). */
    public function userFeeds($userid)
    {
        $feeds = $this->feedModel()->get_user_feeds($userid);
        $rows = array();
        foreach (is_array($feeds) ? $feeds : array() as $feed) {
            $row = is_object($feed) ? get_object_vars($feed) : $feed;
            if (is_array($row) && isset($row['id'])) {
                if (!isset($row['userid'])) {
                    $row['userid'] = $userid;
                }
                $rows[] = $row;
            }
        }
        return $rows;
    }

    /** A member's inputs as Input::get_inputs gives them (node → name → input; [] for none). */
    public function userInputs($userid)
    {
        $inputs = $this->inputModel()->get_inputs($userid);
        return is_array($inputs) ? $inputs : array();
    }

    /**
     * Feed::get_user_feeds for every member at once: the same rows (fields, types, time and
     * value, and the lazy load from the engine's last value when Redis lacks them), from one Redis
     * pipeline per kind of key, or one statement without Redis. A member whose feed set is not
     * in Redis yet is listed by the model itself (that also loads it into Redis, once).
     */
    public function membersFeeds(GroupDb $db, array $uids)
    {
        $uids = array_values(array_unique(array_map('intval', $uids)));
        if (!$uids) {
            return array();
        }
        $feed = $this->feedModel();
        $v11 = (new ReflectionMethod($feed, 'get_user_feeds'))->getNumberOfParameters() >= 2;
        // Rows without an id or an owner are left out (redisFeeds and mysqlFeeds do it as they
        // list, not in a pass of their own: mygroups has 50,000 rows).
        return $this->redis ? $this->redisFeeds($db, $feed, $uids, $v11) : $this->mysqlFeeds($db, $feed, $uids, $v11);
    }

    /**
     * Of these members (whose set is not in Redis), the ones that have rows in $table, in one
     * statement: a member without any has nothing for the model to load, and its answer is [].
     * emoncms's `feeds` and `input` have no index on userid, so the statement reads the whole
     * table (5 ms at 50,000 feeds), and Redis never holds an empty set: a member without feeds —
     * typically the group's administrator, an installer — would cost that on every listing.
     * So "none" is remembered in Redis (group:no<table>:<userid>, for an hour); it is only read
     * while the member's set is missing, and the model creates that set with the first feed or
     * input (Feed::create and Input::create_input add to it), so a new feed shows at once.
     */
    private function withRows(GroupDb $db, $table, array $uids)
    {
        if (!$uids) {
            return array();
        }
        $ask = $uids;
        if ($this->redis) {
            $pipe = $this->redis->multi(Redis::PIPELINE);
            foreach ($uids as $uid) {
                $pipe->exists("group:no$table:$uid");
            }
            $known = $pipe->exec();
            $ask = array();
            foreach ($uids as $i => $uid) {
                if (empty($known[$i])) {
                    $ask[] = $uid;
                }
            }
        }
        $have = array();
        if ($ask) {
            foreach ($db->selectText("SELECT DISTINCT userid FROM $table WHERE userid IN (" . implode(',', $ask) . ')') as $row) {
                $have[(int) $row['userid']] = true;
            }
            if ($this->redis) {
                $pipe = $this->redis->multi(Redis::PIPELINE);
                foreach ($ask as $uid) {
                    if (!isset($have[$uid])) {
                        $pipe->setex("group:no$table:$uid", 3600, '1');
                    }
                }
                $pipe->exec();
            }
        }
        return $have;
    }

    private function redisFeeds(GroupDb $db, $feed, array $uids, $v11)
    {
        $redis = $this->redis;
        // Redis keeps no empty set, so an empty answer is a set not in Redis (redis_get_user_feeds
        // asks EXISTS first; one command per member less here).
        $pipe = $redis->multi(Redis::PIPELINE);
        foreach ($uids as $uid) {
            $pipe->sMembers("user:feeds:$uid");
        }
        $sets = $pipe->exec();
        $byUser = array();
        $ids = array();
        $cold = array();
        foreach ($uids as $i => $uid) {
            if (empty($sets[$i])) {
                $cold[] = $uid;
            }
        }
        $have = $this->withRows($db, 'feeds', $cold);
        foreach ($uids as $i => $uid) {
            if (empty($sets[$i])) {
                // Not in Redis: the model lists it and loads it into Redis (once).
                $byUser[$uid] = isset($have[$uid]) ? $this->userFeeds($uid) : array();
                continue;
            }
            $byUser[$uid] = null;
            foreach ($sets[$i] as $id) {
                $ids[] = array($uid, $id);
            }
        }
        $hashes = array();
        if ($ids) {
            $pipe = $redis->multi(Redis::PIPELINE);
            foreach ($ids as $pair) {
                $pipe->hGetAll('feed:' . $pair[1]);
            }
            $hashes = $pipe->exec();
        }
        $listed = array();
        $virtual = Engine::VIRTUALFEED;
        foreach ($ids as $k => $pair) {
            $f = is_array($hashes[$k]) ? $hashes[$k] : array();
            if (!$v11) {
                $f = $this->feedRow10($feed, $f, $pair[1]);
            } elseif (!isset($f['engine']) || $f['engine'] == $virtual || !isset($f['time'])) {
                $f = $this->feedRow11($feed, $f, $pair[1]);   // the model's own paths
            } else {
                // The common row: Feed::validate_timevalue's casts, inline (a call per row cost
                // 30 ms of mygroups at 50,000 feeds).
                $t = $f['time'];
                $f['time'] = is_numeric($t) && !is_nan((float) $t) ? (int) $t : null;
                $v = isset($f['value']) ? $f['value'] : null;
                $f['value'] = $v !== null && is_numeric($v) && !is_nan((float) $v) ? (float) $v : null;
            }
            $listed[$pair[0]][] = $f;
        }
        $rows = array();
        foreach ($uids as $uid) {
            $list = $byUser[$uid] !== null ? $byUser[$uid] : (isset($listed[$uid]) ? $listed[$uid] : array());
            foreach ($list as $row) {
                if (isset($row['id'], $row['userid'])) {
                    $rows[] = $row;
                }
            }
        }
        return $rows;
    }

    /** 11.x redis_get_user_feeds for one hash. */
    private function feedRow11($feed, array $f, $id)
    {
        $engine = isset($f['engine']) ? $f['engine'] : null;
        if ($engine == Engine::VIRTUALFEED) {
            $timevalue = $feed->EngineClass(Engine::VIRTUALFEED)->lastvalue($f['id']);
            $f['time'] = $timevalue['time'];
            $f['value'] = $timevalue['value'];
        } elseif (!isset($f['time']) && $engine !== null) {
            $timevalue = $feed->EngineClass($engine)->lastvalue($id);
            if ($timevalue) {
                $this->redis->hMset("feed:$id", $timevalue);
                $f['time'] = $timevalue['time'];
                $f['value'] = $timevalue['value'];
            }
        }
        return $feed->validate_timevalue($f);
    }

    /** 10.x redis_get_user_feeds for one hash: get_timevalue's casts, then start_time/interval. */
    private function feedRow10($feed, array $row, $id)
    {
        $engine = isset($row['engine']) ? $row['engine'] : null;
        if ($engine == Engine::VIRTUALFEED || !array_key_exists('time', $row)) {
            $lastvalue = $feed->get_timevalue($id);   // virtual, or not in Redis yet: the model
            if (!is_array($lastvalue)) {
                // A feed without data yet: 10.x's own listing reads null from the model's false
                // (with a PHP warning); the same nulls here, without the warning.
                $lastvalue = array('time' => null, 'value' => null);
            }
        } else {
            $lastvalue = array('time' => $row['time'], 'value' => isset($row['value']) ? $row['value'] : null);
            $lastvalue['time'] = (!isset($lastvalue['time']) || !is_numeric($lastvalue['time']) || is_nan((float) $lastvalue['time']))
                ? null : (int) $lastvalue['time'];
            $lastvalue['value'] = (!isset($lastvalue['value']) || !is_numeric($lastvalue['value']) || is_nan((float) $lastvalue['value']))
                ? null : (float) $lastvalue['value'];
        }
        $row['time'] = $lastvalue['time'];
        $row['value'] = $lastvalue['value'];
        $meta = $engine === null ? null : $feed->EngineClass($engine)->get_meta($id);
        if (isset($meta->start_time)) {
            $row['start_time'] = $meta->start_time;
        }
        if (isset($meta->interval)) {
            $row['interval'] = $meta->interval;
        }
        return $row;
    }

    /** mysql_get_user_feeds (11.x and 10.x) for every member in one statement. */
    private function mysqlFeeds(GroupDb $db, $feed, array $uids, $v11)
    {
        $columns = $v11 ? 'id,name,userid,tag,public,size,engine,time,value,processList,unit'
            : 'id,name,userid,tag,datatype,public,size,engine,time,value,processList,unit';
        $rows = $db->selectText("SELECT $columns FROM feeds WHERE userid IN (" . implode(',', $uids) . ')');
        $byUser = array();
        foreach ($rows as $f) {
            if ($f['engine'] == Engine::VIRTUALFEED) {
                $timevalue = $feed->EngineClass(Engine::VIRTUALFEED)->lastvalue($f['id']);
                $f['time'] = $timevalue['time'];
                $f['value'] = $timevalue['value'];
                if (!$v11) {
                    $meta = $feed->EngineClass(Engine::VIRTUALFEED)->get_meta($f['id']);
                    $f['start_time'] = isset($meta->start_time) ? $meta->start_time : null;
                    $f['interval'] = isset($meta->interval) ? $meta->interval : null;
                }
            } elseif ($v11 && !isset($f['time'])) {
                $timevalue = $feed->EngineClass($f['engine'])->lastvalue($f['id']);
                if ($timevalue) {
                    $feed->set_timevalue($f['id'], $timevalue['value'], $timevalue['time']);
                    $f['time'] = $timevalue['time'];
                    $f['value'] = $timevalue['value'];
                }
            }
            // 11.x validates a copy and lists the row as read: so is it here.
            $byUser[(int) $f['userid']][] = $f;
        }
        $out = array();
        foreach ($uids as $uid) {
            if (isset($byUser[$uid])) {
                foreach ($byUser[$uid] as $row) {
                    if (isset($row['id'], $row['userid'])) {
                        $out[] = $row;
                    }
                }
            }
        }
        return $out;
    }

    /**
     * Input::get_inputs for every member at once (userid → node → name → {id, processList}; []
     * for a member without inputs): one Redis pipeline, or one statement without Redis.
     */
    public function membersInputs(GroupDb $db, array $uids)
    {
        $uids = array_values(array_unique(array_map('intval', $uids)));
        $out = array();
        if (!$uids) {
            return $out;
        }
        if (!$this->redis) {
            foreach ($uids as $uid) {
                $out[$uid] = array();
            }
            $rows = $db->selectText('SELECT id,nodeid,name,description,processList,userid FROM input WHERE userid IN ('
                . implode(',', $uids) . ') ORDER BY userid,nodeid,name asc');
            foreach ($rows as $row) {
                if ($row['nodeid'] == null) {
                    $row['nodeid'] = 0;
                }
                $out[(int) $row['userid']][$row['nodeid']][$row['name']] = array('id' => $row['id'], 'processList' => $row['processList']);
            }
            return $out;
        }
        $redis = $this->redis;
        $pipe = $redis->multi(Redis::PIPELINE);
        foreach ($uids as $uid) {
            $pipe->sMembers("user:inputs:$uid");
        }
        $sets = $pipe->exec();
        $ids = array();
        $cold = array();
        foreach ($uids as $i => $uid) {
            if ($sets[$i] == null) {
                $cold[] = $uid;
            }
        }
        $have = $this->withRows($db, 'input', $cold);
        foreach ($uids as $i => $uid) {
            if ($sets[$i] == null) {
                // Not in Redis: the model lists it and loads it into Redis (once).
                $out[$uid] = isset($have[$uid]) ? $this->userInputs($uid) : array();
                continue;
            }
            $out[$uid] = array();
            foreach ($sets[$i] as $id) {
                $ids[] = array($uid, $id);
            }
        }
        if ($ids) {
            $pipe = $redis->multi(Redis::PIPELINE);
            foreach ($ids as $pair) {
                $pipe->hGetAll('input:' . $pair[1]);
            }
            $hashes = $pipe->exec();
            foreach ($ids as $k => $pair) {
                $row = $hashes[$k];
                if (!is_array($row) || !isset($row['name'])) {
                    continue;
                }
                if (!isset($row['nodeid']) || $row['nodeid'] == null) {
                    $row['nodeid'] = 0;
                }
                $out[$pair[0]][$row['nodeid']][$row['name']] = array('id' => isset($row['id']) ? $row['id'] : null,
                    'processList' => isset($row['processList']) ? $row['processList'] : null);
            }
        }
        return $out;
    }

    // --- changes to users rows -----------------------------------------------------------------

    public function updateProfile($change)
    {
        $userid = (int) $change->userid;
        $current = $this->user->get($userid);
        if (!is_object($current)) {
            throw new GroupHostRefusal('Error updating user info');
        }
        foreach (array('name', 'location', 'bio', 'timezone') as $field) {
            if (property_exists($change, $field)) {
                $current->$field = (string) $change->$field;
            }
        }
        if (property_exists($change, 'tags')) {
            $current->tags = json_encode($change->tags);
        }
        // User::set also writes the *edited* user's language/timezone into the caller's
        // session (group 2.0.0 §4); keep the caller's own.
        $kept = array();
        foreach (array('lang', 'timezone', 'gravatar') as $key) {
            if (isset($_SESSION) && array_key_exists($key, $_SESSION)) {
                $kept[$key] = $_SESSION[$key];
            }
        }
        $answer = self::asArray($this->user->set($userid, $current));
        if (isset($_SESSION)) {
            foreach (array('lang', 'timezone', 'gravatar') as $key) {
                if (array_key_exists($key, $kept)) {
                    $_SESSION[$key] = $kept[$key];
                } else {
                    unset($_SESSION[$key]);
                }
            }
        }
        // Up to 11.9.7 set() answers nothing on success; from 11.9.8 a success object.
        self::refuseOnFailure($answer, 'Error updating user info');
    }

    public function setUsername($userid, $username)
    {
        self::refuseOnFailure(self::asArray($this->user->change_username($userid, $username)), 'Error updating username');
    }

    public function setEmail($userid, $email)
    {
        self::refuseOnFailure(self::asArray($this->user->change_email($userid, $email)), 'Error updating email');
    }

    // --- internals -------------------------------------------------------------------------

    private function feedModel()
    {
        if ($this->feed === null) {
            if (!class_exists('Feed')) {
                require_once 'Modules/feed/feed_model.php';
            }
            if (isset($this->settings['feed'])) {
                $feedSettings = $this->settings['feed'];
            } else {
                // emoncms before 10.1.7 kept these in a global.
                $feedSettings = isset($GLOBALS['feed_settings']) ? $GLOBALS['feed_settings'] : array();
            }
            $this->feed = new Feed($this->mysqli, $this->redis, $feedSettings);
        }
        return $this->feed;
    }

    private function inputModel()
    {
        if ($this->input === null) {
            if (!class_exists('Input')) {
                require_once 'Modules/input/input_model.php';
            }
            $this->input = new Input($this->mysqli, $this->redis, $this->feedModel());
        }
        return $this->input;
    }

    /** One feed's data; numbers as the engine validated them, null when not given. */
    private function data($id, $start, $end, $interval, $average, $averageMode, $skipmissing, $limitinterval)
    {
        $feed = $this->feedModel();
        $method = new ReflectionMethod($feed, 'get_data');
        $skipmissing = (int) $skipmissing;
        $limitinterval = (int) $limitinterval;
        if ($method->getNumberOfParameters() >= 9) {
            // emoncms 11.x: (id, start, end, interval, average, timezone, timeformat, csv,
            // skipmissing, limitinterval, delta, dp); a daily/weekly/… average goes as interval.
            if ($average && $interval === null && $averageMode !== null) {
                $interval = $averageMode;
            }
            return $feed->get_data($id, $start, $end, $interval === null ? 0 : $interval, $average ? 1 : 0,
                $this->timezone, 'unixms', false, $skipmissing, $limitinterval);
        }
        // emoncms 10.x: (id, start, end, interval, skipmissing, limitinterval) + the average API.
        if ($average) {
            if ($interval !== null && method_exists($feed, 'get_average')) {
                return $feed->get_average($id, $start, $end, $interval);
            }
            if (method_exists($feed, 'get_average_DMY')) {
                return $feed->get_average_DMY($id, $start, $end, $averageMode);
            }
        }
        return $feed->get_data($id, $start, $end, $interval === null ? 0 : $interval, $skipmissing, $limitinterval);
    }

    /**
     * The CSV of csvexport: `time,value[,value…]`, one column per feed in the order asked, one row
     * per timestamp any feed has. Times in the request are unix seconds (group.js sends them so);
     * timeformat 1 writes `Y-m-d H:i:s` in the caller's timezone.
     */
    private function csv(array $ids, $need)
    {
        $start = is_numeric($need->start) ? (float) $need->start : 0.0;
        $end = is_numeric($need->end) ? (float) $need->end : 0.0;
        $interval = is_numeric($need->interval) ? (float) $need->interval : 0.0;
        $limitMb = isset($this->settings['feed']['csv_downloadlimit_mb']) ? (float) $this->settings['feed']['csv_downloadlimit_mb'] : 25.0;
        if ($interval > 0 && ($end - $start) / $interval * 17 * count($ids) > $limitMb * 1048576) {
            throw new GroupHostRefusal('CSV download limit exceeded, increase the interval or shorten the time range');
        }
        $columns = array();
        $times = array();
        foreach ($ids as $i => $id) {
            $data = $this->data($id, $start * 1000, $end * 1000, $need->interval, false, null, 0, 0);
            if (!is_array($data) || isset($data['success'])) {
                $message = is_array($data) && isset($data['message']) ? $data['message'] : "no data for feed $id";
                throw new GroupHostRefusal((string) $message);
            }
            $columns[$i] = array();
            foreach ($data as $point) {
                $point = array_values((array) $point);
                if (!isset($point[0])) {
                    continue;
                }
                $t = (int) round($point[0] / 1000);
                $columns[$i][$t] = isset($point[1]) ? $point[1] : null;
                $times[$t] = true;
            }
        }
        ksort($times);
        $zone = null;
        if ((int) $need->timeformat === 1) {
            try {
                $zone = new DateTimeZone($this->timezone);
            } catch (Exception $e) {
                $zone = new DateTimeZone('UTC');
            }
        }
        $lines = array();
        foreach (array_keys($times) as $t) {
            if ($zone) {
                $when = (new DateTime('@' . $t))->setTimezone($zone)->format('Y-m-d H:i:s');
            } else {
                $when = (string) $t;
            }
            $row = array($when);
            foreach ($columns as $column) {
                $row[] = isset($column[$t]) ? (string) $column[$t] : '';
            }
            $lines[] = implode(',', $row);
        }
        return $lines ? implode("\n", $lines) . "\n" : '';
    }

    private static function refuseOnFailure($answer, $default)
    {
        if (is_array($answer) && array_key_exists('success', $answer) && !$answer['success']) {
            throw new GroupHostRefusal(isset($answer['message']) ? (string) $answer['message'] : $default);
        }
    }

    /** Objects and arrays from emoncms's models as plain arrays; scalars unchanged. */
    private static function asArray($value)
    {
        if (is_object($value) || is_array($value)) {
            return json_decode(json_encode($value), true);
        }
        return $value;
    }
}
