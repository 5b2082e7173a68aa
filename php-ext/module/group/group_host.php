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
        // emoncms 10.x's delete_user() asks for the rows of every module it knows (app_config,
        // dashboard, …) whether or not that module is installed, and expects a failed query to
        // answer false, as mysqli did before PHP 8.1. Since 8.1 mysqli throws instead, and the
        // deletion stopped half-way (feeds gone, account kept). Core's own code runs here with
        // the reporting it was written for; the mode in force is restored afterwards.
        $driver = new mysqli_driver();
        $mode = $driver->report_mode;
        mysqli_report(MYSQLI_REPORT_OFF);
        try {
            $report = (string) delete_user($userid, 'permanentdelete');
        } catch (Throwable $e) {
            if (class_exists('EmonLogger')) {
                (new EmonLogger(__FILE__))->error("delete_user($userid) failed: " . get_class($e) . ': ' . $e->getMessage());
            }
            $left = $this->mysqli->query('SELECT id FROM users WHERE id = ' . (int) $userid);
            $kept = $left instanceof mysqli_result && $left->num_rows > 0;
            throw new GroupHostRefusal($kept
                ? 'Error deleting user: the account was kept, but some of its data may already be deleted'
                : 'Error deleting user: the account was deleted, but not all of its data');
        } finally {
            mysqli_report($mode);
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

    /**
     * A member's inputs as Input::get_inputs gives them (node → name → input), so that userlist's
     * `inputslist` is what 2.0.0 answered: an object, or `[]` for a member without inputs.
     */
    public function userInputs($userid)
    {
        $inputs = $this->inputModel()->get_inputs($userid);
        return is_array($inputs) || is_object($inputs) ? $inputs : array();
    }

    /**
     * Every member's feeds at once: uid → the rows Feed::get_user_feeds($uid) gives, read in
     * three Redis pipelines (which users are cached, their feed ids, the feeds) instead of a
     * round trip per member and per feed. Only where the core's model is the one this mirrors
     * (11.x: public validate_timevalue, the same Redis layout); a member whose feeds are not in
     * Redis yet, or has a virtual feed or one without a cached time, is read by the model itself,
     * which loads them as it always does. Other cores (10.x, emoncms without Redis) are asked
     * member by member, as 2.0.0 did.
     */
    public function feedsOfUsers(array $uids)
    {
        $feed = $this->feedModel();
        $out = array();
        if (!$uids) {
            return $out;
        }
        if (!$this->redis || !method_exists($feed, 'validate_timevalue')
            || !(new ReflectionMethod($feed, 'validate_timevalue'))->isPublic()) {
            foreach ($uids as $uid) {
                $out[$uid] = $this->userFeeds($uid);
            }
            return $out;
        }
        $uids = array_values($uids);
        $pipe = $this->redis->multi(Redis::PIPELINE);
        foreach ($uids as $uid) {
            $pipe->exists("user:feeds:$uid");
        }
        $cached = $pipe->exec();
        $present = array();
        foreach ($uids as $i => $uid) {
            if (!empty($cached[$i])) {
                $present[] = $uid;
            } else {
                $out[$uid] = $this->userFeeds($uid);
            }
        }
        if (!$present) {
            return $out;
        }
        $pipe = $this->redis->multi(Redis::PIPELINE);
        foreach ($present as $uid) {
            $pipe->sMembers("user:feeds:$uid");
        }
        $ids = $pipe->exec();
        $pipe = $this->redis->multi(Redis::PIPELINE);
        foreach ($present as $i => $uid) {
            foreach ((array) $ids[$i] as $id) {
                $pipe->hGetAll("feed:$id");
            }
        }
        $rows = $pipe->exec();
        $k = 0;
        foreach ($present as $i => $uid) {
            $list = array();
            $ownModel = false;
            foreach ((array) $ids[$i] as $id) {
                $f = isset($rows[$k]) ? $rows[$k] : array();
                $k++;
                if (!is_array($f) || !isset($f['id'], $f['engine']) || (int) $f['engine'] === 7 || !isset($f['time'])) {
                    // A virtual feed, a feed not cached, or one without its last time: the
                    // model's own code (engine lastvalue, then the cache) for this member.
                    $ownModel = true;
                    break;
                }
                $list[] = $feed->validate_timevalue($f);
            }
            $rowsOf = $ownModel ? $this->userFeeds($uid) : $list;
            foreach ($rowsOf as $j => $row) {
                if (!isset($row['userid'])) {
                    $rowsOf[$j]['userid'] = $uid;
                }
            }
            $out[$uid] = $rowsOf;
        }
        return $out;
    }

    /**
     * Every member's inputs at once: uid → what Input::get_inputs($uid) gives (node → name →
     * {id, processList}), in two Redis pipelines; members not cached yet, and cores without
     * Redis, through the model.
     */
    public function inputsOfUsers(array $uids)
    {
        $out = array();
        if (!$uids) {
            return $out;
        }
        if (!$this->redis) {
            foreach ($uids as $uid) {
                $out[$uid] = $this->userInputs($uid);
            }
            return $out;
        }
        $uids = array_values($uids);
        $pipe = $this->redis->multi(Redis::PIPELINE);
        foreach ($uids as $uid) {
            $pipe->sMembers("user:inputs:$uid");
        }
        $ids = $pipe->exec();
        $asked = array();
        foreach ($uids as $i => $uid) {
            if (empty($ids[$i])) {
                // Not cached (or no inputs): the model loads the cache as it always does.
                $out[$uid] = $this->userInputs($uid);
            } else {
                $asked[] = $i;
            }
        }
        if (!$asked) {
            return $out;
        }
        // Opened after the model's own calls above, which would otherwise join the pipeline.
        $pipe = $this->redis->multi(Redis::PIPELINE);
        foreach ($asked as $i) {
            foreach ((array) $ids[$i] as $id) {
                $pipe->hGetAll("input:$id");
            }
        }
        $rows = $pipe->exec();
        $k = 0;
        foreach ($asked as $i) {
            $inputs = array();
            foreach ((array) $ids[$i] as $id) {
                $row = isset($rows[$k]) ? $rows[$k] : array();
                $k++;
                $node = isset($row['nodeid']) && $row['nodeid'] !== null && $row['nodeid'] !== '' ? $row['nodeid'] : 0;
                $inputs[$node][isset($row['name']) ? $row['name'] : ''] = array(
                    'id' => isset($row['id']) ? $row['id'] : null,
                    'processList' => isset($row['processList']) ? $row['processList'] : null);
            }
            $out[$uids[$i]] = $inputs;
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
