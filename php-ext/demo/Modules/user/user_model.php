<?php
/*
 * The demo host's User model: the methods emoncms's User model offers to the group module, with
 * the same answers (group 2.0.0 §4) and emoncms's password scheme:
 * sha256(salt . sha256(password)) with a random salt.
 */
defined('EMONCMS_EXEC') or die('Restricted access');

class User
{
    private $db;
    private $redis;

    public function __construct($conn, $redis = false)
    {
        $this->db = new DemoDb($conn);
        $this->redis = $redis;
    }

    public static function hash_password($password, $salt)
    {
        return hash('sha256', $salt . hash('sha256', $password));
    }

    // --- sessions -------------------------------------------------------------------------------

    public function emon_session_start()
    {
        session_name('EMONCMS_SESSID');
        session_set_cookie_params(array('lifetime' => 0, 'path' => '/', 'httponly' => true, 'samesite' => 'Strict'));
        session_start();
        $session = array();
        foreach (array('userid' => 0, 'read' => 0, 'write' => 0, 'admin' => 0, 'username' => '', 'lang' => 'en_GB',
                     'timezone' => 'UTC', 'cookielogin' => 0) as $key => $default) {
            $session[$key] = isset($_SESSION[$key]) ? $_SESSION[$key] : $default;
        }
        $session['public_userid'] = 0;
        $session['public_username'] = '';
        return $session;
    }

    public function apikey_session($apikey)
    {
        $row = $this->db->row('SELECT id, username, apikey_write FROM users WHERE apikey_write = ? OR apikey_read = ?',
            array($apikey, $apikey));
        if (!$row) {
            return array();
        }
        return array('userid' => (int) $row['id'], 'read' => 1, 'write' => $row['apikey_write'] === $apikey ? 1 : 0,
            'admin' => 0, 'username' => $row['username'], 'lang' => 'en', 'timezone' => 'UTC', 'apikey' => 1,
            'public_userid' => 0, 'public_username' => '');
    }

    public function login($username, $password)
    {
        if (!$username || !$password) {
            return array('success' => false, 'message' => 'Username or password empty');
        }
        $row = $this->db->row('SELECT id, username, password, salt, admin, access, language, timezone FROM users WHERE username = ?',
            array($username));
        if (!$row || self::hash_password($password, $row['salt']) !== $row['password']) {
            return array('success' => false, 'message' => 'Incorrect username or password');
        }
        $access = (int) $row['access'];
        if ($access < 1) {
            return array('success' => false, 'message' => 'Login disabled');
        }
        session_regenerate_id(true);
        $_SESSION['userid'] = (int) $row['id'];
        $_SESSION['username'] = $row['username'];
        $_SESSION['read'] = 1;
        $_SESSION['write'] = $access >= 2 ? 1 : 0;
        $_SESSION['admin'] = $row['admin'];
        $_SESSION['lang'] = $row['language'];
        $_SESSION['timezone'] = $row['timezone'];
        return array('success' => true, 'message' => 'Login successful');
    }

    public function logout()
    {
        $_SESSION = array();
        session_regenerate_id(true);
        session_destroy();
    }

    // --- what the group module calls ------------------------------------------------------------------

    public function register($username, $password, $email, $timezone = 'UTC')
    {
        if (!$username || !$password || !$email) {
            return array('success' => false, 'message' => 'Missing username, password or email parameter');
        }
        if (!ctype_alnum($username)) {
            return array('success' => false, 'message' => 'Username must only contain a-z and 0-9 characters');
        }
        if ($this->get_id($username)) {
            return array('success' => false, 'message' => 'Username already exists');
        }
        if (!filter_var($email, FILTER_VALIDATE_EMAIL)) {
            return array('success' => false, 'message' => 'Email address format error');
        }
        if (strlen($username) < 3 || strlen($username) > 30) {
            return array('success' => false, 'message' => 'Username must be at least 3 characters');
        }
        if (strlen($password) < 4 || strlen($password) > 250) {
            return array('success' => false, 'message' => 'Password must be at least 4 characters');
        }
        if (!in_array($timezone, DateTimeZone::listIdentifiers(), true)) {
            $timezone = 'UTC';
        }
        $salt = bin2hex(random_bytes(16));
        $apikey_write = bin2hex(random_bytes(16));
        $apikey_read = bin2hex(random_bytes(16));
        $this->db->run('INSERT INTO users (username, password, salt, email, apikey_read, apikey_write, admin, access, timezone) '
            . 'VALUES (?, ?, ?, ?, ?, ?, 0, 2, ?)',
            array($username, self::hash_password($password, $salt), $salt, $email, $apikey_read, $apikey_write, $timezone));
        $userid = $this->db->lastId();
        if ($userid === 1) {
            $this->db->run('UPDATE users SET admin = 1 WHERE id = 1');
        }
        return array('success' => true, 'verifyemail' => false, 'userid' => $userid,
            'apikey_read' => $apikey_read, 'apikey_write' => $apikey_write);
    }

    public function get_apikeys_from_login($username, $password)
    {
        if (!$username || !$password) {
            return array('success' => false, 'message' => 'Username or password empty');
        }
        if (!ctype_alnum($username)) {
            return array('success' => false, 'message' => 'Username must only contain a-z and 0-9 characters');
        }
        $row = $this->db->row('SELECT id, password, salt, apikey_write, apikey_read FROM users WHERE username = ?', array($username));
        if (!$row || self::hash_password($password, $row['salt']) !== $row['password']) {
            return array('success' => false, 'message' => 'Incorrect authentication');
        }
        return array('success' => true, 'userid' => (int) $row['id'],
            'apikey_write' => $row['apikey_write'], 'apikey_read' => $row['apikey_read']);
    }

    public function get_id($username)
    {
        $row = $this->db->row('SELECT id FROM users WHERE username = ?', array($username));
        return $row ? (int) $row['id'] : 0;
    }

    public function get($userid)
    {
        $row = $this->db->row('SELECT id, username, email, gravatar, name, location, timezone, language, bio, startingpage, '
            . 'apikey_write, apikey_read, tags FROM users WHERE id = ?', array((int) $userid));
        if (!$row) {
            return array('success' => false, 'message' => 'User does not exist');
        }
        return (object) $row;
    }

    /** Saves profile fields (filtered as emoncms does); like emoncms it also updates the session. */
    public function set($userid, $data)
    {
        $clean = function ($s, $max) {
            $s = preg_replace('/[^\p{L}\p{N}\s\-_.,@:\/\'()]/u', '', (string) $s);
            return preg_match('/^.{0,' . (int) $max . '}/us', (string) $s, $m) ? $m[0] : '';
        };
        $tags = isset($data->tags) ? (string) $data->tags : null;
        if ($tags !== null && $tags !== '' && !is_array(json_decode($tags, true))) {
            $tags = null;
        }
        $timezone = isset($data->timezone) && in_array($data->timezone, DateTimeZone::listIdentifiers(), true) ? $data->timezone : 'UTC';
        $n = $this->db->run('UPDATE users SET gravatar = ?, name = ?, location = ?, timezone = ?, language = ?, bio = ?, '
            . 'startingpage = ?, tags = ? WHERE id = ?', array(
                $clean(isset($data->gravatar) ? $data->gravatar : '', 30), $clean(isset($data->name) ? $data->name : '', 30),
                $clean(isset($data->location) ? $data->location : '', 30), $timezone,
                $clean(isset($data->language) ? $data->language : 'en_GB', 5), $clean(isset($data->bio) ? $data->bio : '', 1000),
                $clean(isset($data->startingpage) ? $data->startingpage : 'feed/list', 64), $tags, (int) $userid));
        if (!$this->db->row('SELECT id FROM users WHERE id = ?', array((int) $userid))) {
            return array('success' => false, 'message' => 'Error updating user info');
        }
        if (session_status() === PHP_SESSION_ACTIVE) {
            $_SESSION['lang'] = isset($data->language) ? $data->language : 'en_GB';
            $_SESSION['timezone'] = $timezone;
        }
        return array('success' => true, 'message' => 'User info updated');
    }

    public function change_username($userid, $username)
    {
        if (!ctype_alnum($username)) {
            return array('success' => false, 'message' => 'Username must only contain a-z and 0-9 characters');
        }
        if (strlen($username) < 3 || strlen($username) > 30) {
            return array('success' => false, 'message' => 'Username length error');
        }
        $other = $this->get_id($username);
        if ($other && $other !== (int) $userid) {
            return array('success' => false, 'message' => 'Username already exists');
        }
        $this->db->run('UPDATE users SET username = ? WHERE id = ?', array($username, (int) $userid));
        return array('success' => true, 'message' => 'Username updated');
    }

    public function change_email($userid, $email)
    {
        if (!filter_var($email, FILTER_VALIDATE_EMAIL)) {
            return array('success' => false, 'message' => 'Email address format error');
        }
        $this->db->run('UPDATE users SET email = ? WHERE id = ?', array($email, (int) $userid));
        return array('success' => true, 'message' => 'Email updated');
    }

    public function get_username($userid)
    {
        $row = $this->db->row('SELECT username FROM users WHERE id = ?', array((int) $userid));
        return $row ? $row['username'] : false;
    }

    public function get_email($userid)
    {
        $row = $this->db->row('SELECT email FROM users WHERE id = ?', array((int) $userid));
        return $row ? $row['email'] : false;
    }
}
