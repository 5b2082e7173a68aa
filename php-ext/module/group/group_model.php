<?php
/*
 * emongroups — the group module's model.
 *
 * Only I/O lives here: read the rows a route needs, hand them to the emongroups engine (the PHP
 * extension `emongroups`), perform what the engine asks for (`need`), write the changes it
 * returns all-or-nothing: under MariaDB's named lock `emongroups_write` (serialises writers on
 * MyISAM and InnoDB alike), inside BEGIN/COMMIT (effective on InnoDB), and with a before-image of
 * every row a change writes, restored when a later step fails (effective on MyISAM, which is how
 * emoncms's updater creates the tables). The before-images are written to `group_journal` before
 * the rows they keep, and the row goes when the change is done: a change cut short by a crash
 * (PHP or MariaDB killed) is put back by the next group request (recover()). Every permission decision and every validation is the engine's
 * (core/ROUTES.md); nothing here decides who may do what.
 *
 * Also the two methods the emoncms graph module calls on `new Group($mysqli, $redis, null,
 * null, null)`: grouplist($userid) and get_user_role($session_uid, $uid, $gid).
 */
defined('EMONCMS_EXEC') or die('Restricted access');

require_once __DIR__ . '/group_db.php';

/** The engine answered with a wire error, or the extension is missing. */
class GroupEngineFailure extends RuntimeException
{
    private $errorCode;

    public function __construct($code, $message)
    {
        parent::__construct($message);
        $this->errorCode = (string) $code;
    }

    public function errorCode()
    {
        return $this->errorCode;
    }
}

/** A member list's request is above Group::$stateBudget: it is served scoped (scopedList). */
class GroupStateTooLarge extends RuntimeException
{
}

/** The host could not carry out a change or a need (e.g. "Username already exists"). */
class GroupHostRefusal extends RuntimeException
{
}

class Group
{
    /** Routes whose answer may carry changes: they run inside one transaction. */
    const WRITE_ROUTES = array(
        'create', 'editgroup', 'delete', 'deleteallgroupsfromuser', 'addmemberauth', 'adduserauth',
        'createuseraddtogroup', 'removeuser', 'fullremoveuser', 'setuserinfo',
    );

    /** Routes with a target member whose account rules look at all of their memberships. */
    const ACCOUNT_ROUTES = array('fullremoveuser', 'setuserinfo', 'sendlogindetails', 'setuser');

    /** More feed ids than this in one getfeed/csvexport request are not looked up. */
    const MAX_FEED_IDS = 5000;

    const MAX_NEEDS = 4;

    /**
     * A member list (userlist, mygroups) whose request would be larger than this many bytes is
     * answered in slices of members, each within it (the engine takes at most 64 MiB). Operators
     * may lower it ([group] state_budget in settings.ini) to keep each engine call smaller.
     */
    const STATE_BUDGET = 48 * 1024 * 1024;
    public $stateBudget = self::STATE_BUDGET;

    const USER_COLUMNS = array('id', 'username', 'admin', 'access', 'name', 'email', 'bio', 'location', 'timezone', 'tags');

    /** @var GroupDb */
    private $db;
    private $redis;
    private $log = null;
    /** The id reserved for the group being created (`new_groupid`), or 0. */
    private $reservedGroupId = 0;
    /** Columns of `users` this installation has, from USER_COLUMNS. */
    private $userColumns = null;
    /**
     * Undo steps of the running change, as data (undoStep() reads them), run in reverse order on
     * failure and kept in `group_journal` row $journalId while the change runs.
     */
    private $undo = array();
    private $journalId = 0;
    /** The running route and its emoncms models (GroupHost), for the journal and undo. */
    private $changeRoute = '';
    private $changeHost = null;
    /** Steps were added or changed since the journal row was last written. */
    private $journalDirty = false;
    /** `group_journal` exists (true), is missing (false: the updater has not run), unknown (null). */
    private static $journal = null;
    /** A host step that cannot be undone (an account deletion) has run in this route. */
    private $irreversible = '';

    public function __construct($mysqli, $redis = false, $unused1 = null, $unused2 = null, $unused3 = null)
    {
        $this->db = new GroupDb($mysqli);
        $this->redis = $redis ? $redis : false;
        if (class_exists('EmonLogger')) {
            $this->log = new EmonLogger(__FILE__);
        }
    }

    public function db()
    {
        return $this->db;
    }

    /** Statements the facts of the last route took. */
    public function factQueries()
    {
        return GroupDb::$factQueries;
    }

    public static function engineLoaded()
    {
        return function_exists('EmonGroups\\call');
    }

    // ---------------------------------------------------------------------------------------
    // The graph module's interface (group 2.0.0 §6.2)
    // ---------------------------------------------------------------------------------------

    /** Groups $userid sees: [['groupid'=>…, 'name'=>…, 'description'=>…, 'role'=>…], …]. */
    public function grouplist($userid)
    {
        $session = array('userid' => (int) $userid, 'read' => true, 'write' => false);
        $state = $this->facts('grouplist', array(), $session, null, false);
        list($result, $bodyText) = $this->engine(array('op' => 'route', 'route' => 'grouplist', 'session' => $session,
            'params' => new stdClass(), 'state' => $state));
        $body = self::toArray($bodyText !== null ? json_decode($bodyText) : $result->body);
        return (is_array($body) && !isset($body['success'])) ? $body : array();
    }

    /** The role of $uid in $gid when $session_uid may list the group's members, else null. */
    public function get_user_role($session_uid, $uid, $gid)
    {
        $session_uid = (int) $session_uid;
        $uid = (int) $uid;
        $gid = (int) $gid;
        if ($gid < 1 || $uid < 1 || $session_uid < 1) {
            return null;
        }
        $state = $this->facts('summary', array('groupid' => (string) $gid), array('userid' => $session_uid), null, false);
        list($decision) = $this->engine(array('op' => 'check', 'actor' => $session_uid, 'action' => 'members.list',
            'group' => $gid, 'state' => $state));
        if (empty($decision->allowed)) {
            return null;
        }
        list($result, $bodyText) = $this->engine(array('op' => 'route', 'route' => 'getsessionuserrole',
            'session' => array('userid' => $uid, 'read' => true), 'params' => array('groupid' => (string) $gid),
            'state' => $state));
        $body = $bodyText !== null ? json_decode($bodyText) : $result->body;
        return is_int($body) ? $body : null;
    }

    // ---------------------------------------------------------------------------------------
    // One route
    // ---------------------------------------------------------------------------------------

    /**
     * Runs one group route. $params: the raw request parameters (strings, null when missing);
     * $session: the engine session (core/WIRE.md); $host: emoncms's models (GroupHost).
     * Answers an object {format, body, session?, filename?} — never throws.
     */
    /**
     * $rawBody: a JSON answer comes as its text in ->json (the controller prints it as the engine
     * wrote it), not decoded into ->body.
     */
    public function route($route, array $params, array $session, $host, array $context = array(), $rawBody = false)
    {
        if ($route === 'search') {
            return $this->search($params, $session, $context);
        }
        $this->reservedGroupId = 0;
        $this->undo = array();
        $this->journalId = 0;
        $this->journalDirty = false;
        $this->changeRoute = (string) $route;
        $this->changeHost = $host;
        $this->irreversible = '';
        GroupDb::$factQueries = 0;
        $write = in_array($route, self::WRITE_ROUTES, true);
        // setuser changes no row but decides on the target's roles: under the write lock too, so
        // a promotion of the target running at the same moment is either seen or comes after.
        $locked = $write || $route === 'setuser';
        try {
            if (!self::engineLoaded()) {
                throw new GroupEngineFailure('missing_extension', 'the emongroups PHP extension is not loaded');
            }
            // A change cut short by a crash is put back before anything reads or writes (under
            // the write lock, outside any transaction, so a rollback cannot take it back again).
            if ($locked) {
                $this->db->lock();
            }
            $this->recover($host, $locked);
            $before = GroupDb::$total;
            if ($write) {
                $this->db->begin();
            }
            // The member lists build tens of thousands of small arrays: PHP's cycle collector
            // would scan them again and again (none of them can be a cycle).
            $gc = gc_enabled();
            gc_disable();
            try {
                $state = $this->facts($route, $params, $session, $host, $locked);
            } finally {
                if ($gc) {
                    gc_enable();
                }
            }
            GroupDb::$factQueries = GroupDb::$total - $before;

            $request = array(
                'op' => 'route', 'route' => $route, 'session' => $session,
                'params' => (object) $params, 'now' => time(), 'state' => $state,
                'context' => array(
                    'appname' => isset($context['appname']) ? (string) $context['appname'] : '',
                    'path' => isset($context['path']) ? (string) $context['path'] : '',
                ),
            );
            $answers = array();
            $filename = null;
            for ($i = 0; $i <= self::MAX_NEEDS; $i++) {
                if ($answers) {
                    $request['host'] = $answers;
                }
                try {
                    list($result, $bodyText) = $this->engine($request, in_array($route, array('userlist', 'mygroups'), true));
                } catch (GroupStateTooLarge $e) {
                    return $this->scopedList($route, $request, $rawBody, (int) $e->getMessage());
                }
                if ($result->outcome === 'need') {
                    $need = $result->need;
                    if (isset($answers[$need->kind])) {
                        throw new GroupEngineFailure('internal', "the engine asked twice for `{$need->kind}`");
                    }
                    if ($need->kind === 'feed_data' && $need->mode === 'csv') {
                        $filename = self::csvFilename($need);
                    }
                    $answers[$need->kind] = $this->perform($need, $host);
                    continue;
                }
                if (!empty($result->changes)) {
                    $this->apply($result->changes, $host);
                }
                $this->db->commit();
                $this->journalDone();
                $this->db->unlock();
                $done = (object) array('format' => $result->format, 'body' => $result->body);
                if ($bodyText !== null) {
                    if ($rawBody) {
                        $done->json = $bodyText;
                    } else {
                        $done->body = json_decode($bodyText);
                    }
                }
                if (isset($result->session)) {
                    $done->session = $result->session;
                }
                if ($result->format === 'csv') {
                    $done->filename = $filename;
                }
                return $done;
            }
            throw new GroupEngineFailure('internal', 'the engine kept asking for more');
        } catch (GroupHostRefusal $e) {
            $undone = $this->undoChange($route);
            return self::failure($route, $e->getMessage() . ($undone ? '' : self::UNDO_FAILED));
        } catch (GroupEngineFailure $e) {
            $undone = $this->undoChange($route);
            $this->logError("route $route: engine " . $e->errorCode() . ': ' . $e->getMessage());
            if ($e->errorCode() === 'missing_extension') {
                return self::failure($route, 'The emongroups PHP extension is not loaded');
            }
            // The engine's message names rows and fields of the state: it goes to emoncms.log
            // (above), the caller gets its code only.
            return self::failure($route, 'The group engine could not answer (' . $e->errorCode() . '; the details are in emoncms.log)'
                . ($undone ? '' : self::UNDO_FAILED));
        } catch (Throwable $e) {
            $undone = $this->undoChange($route);
            $this->logError("route $route: " . get_class($e) . ': ' . $e->getMessage());
            if ($this->irreversible !== '') {
                // An account deletion that has begun is finished, never undone (undoChange).
                return self::failure($route, 'Database error during ' . $this->irreversible
                    . ($undone ? '; the deletion was completed' : '; the next group request completes it'));
            }
            if (!$undone) {
                return self::failure($route, 'Database error, the change was stopped part-way and could not be undone completely');
            }
            return self::failure($route, 'Database error, nothing was changed');
        } finally {
            $this->db->unlock();
        }
    }

    const UNDO_FAILED = ' (the change was stopped part-way and could not be undone completely)';

    /**
     * The failure path of a write: ROLLBACK (all an InnoDB table needs), then the before-images
     * in reverse order (what a MyISAM table needs; on InnoDB they rewrite the rows as they are).
     * True when every step ran.
     */
    private function undoChange($route)
    {
        $this->db->rollback();
        $deleting = self::accountBeingDeleted($this->undo);
        if ($deleting) {
            // emoncms's deletion of an account cannot be undone (feeds, their data files, inputs
            // are gone in its first steps): the change is finished instead. If that fails too, the
            // journal row stays and the next group request finishes it (recoverOne).
            $this->undo = array();
            try {
                $this->finishDeletion($deleting, $this->changeHost);
                $this->journalDone();
                return true;
            } catch (Throwable $e) {
                $this->logError("route $route: finishing the deletion of account $deleting failed: " . $e->getMessage());
                return false;
            }
        }
        $ok = true;
        foreach (array_reverse($this->undo) as $step) {
            try {
                $this->undoStep($step, $this->changeHost);
            } catch (Throwable $e) {
                $ok = false;
                $this->logError("route $route: undoing a step failed: " . $e->getMessage());
            }
        }
        $this->undo = array();
        if ($ok) {
            // Put back completely: nothing is left for a later recovery. Otherwise the journal
            // row stays, and the next group request tries again.
            try {
                $this->journalDone();
            } catch (Throwable $e) {
                $this->logError("route $route: removing the journal row failed: " . $e->getMessage());
            }
        }
        return $ok;
    }

    // ---------------------------------------------------------------------------------------
    // The journal: before-images on disk, so that a crash never leaves half a change
    // ---------------------------------------------------------------------------------------

    /**
     * Undoes one step. Steps: ['rows', table, where, params, rows] (delete what matches, insert
     * the rows as they were), ['user', userid, columns] (the users row's fields as they were),
     * ['group_id', highest id before, reserved id or 0] (the new group's row, or an unfilled
     * placeholder above that id), ['account', username, highest users id before, id or 0] (an
     * account the change registered: emoncms's own deletion), ['deleted_account', userid]
     * (cannot be undone; recover() finishes such a change instead).
     */
    private function undoStep(array $step, $host)
    {
        $db = $this->db;
        switch ($step[0]) {
            case 'rows':
                list(, $table, $where, $params, $rows) = $step;
                $quoted = $db->table($table);
                $db->execute("DELETE FROM $quoted WHERE $where", $params);
                foreach ($rows as $row) {
                    $columns = array_keys($row);
                    $db->execute("INSERT INTO $quoted (" . implode(', ', array_map(function ($c) { return "`$c`"; }, $columns))
                        . ') VALUES (' . GroupDb::marks(count($columns)) . ')', array_values($row));
                }
                return;
            case 'user':
                list(, $userid, $row) = $step;
                $set = implode(', ', array_map(function ($c) { return "`$c` = ?"; }, array_keys($row)));
                $db->execute("UPDATE users SET $set WHERE id = ?", array_merge(array_values($row), array((int) $userid)));
                return;
            case 'group_id':
                list(, $above, $id) = $step;
                if ($id) {
                    $db->execute('DELETE FROM ' . $db->table('groups') . ' WHERE id = ?', array((int) $id));
                } else {
                    $db->execute('DELETE FROM ' . $db->table('groups') . ' WHERE id > ? AND name IS NULL', array((int) $above));
                }
                return;
            case 'account':
                list(, $username, $above, $id) = $step;
                if (!$id) {
                    $found = $db->select('SELECT id FROM users WHERE username = ? AND id > ?', array((string) $username, (int) $above));
                    $id = $found ? (int) $found[0]['id'] : 0;
                }
                if ($id) {
                    if (!$host) {
                        throw new GroupDbFailure("putting back account $id needs emoncms's user model");
                    }
                    $host->deleteUser((int) $id);
                }
                return;
            case 'deleted_account':
                return;
        }
        throw new GroupDbFailure('unknown journal step ' . json_encode($step[0]));
    }

    /** Adds an undo step (written to the journal by the next journalSave()). */
    private function remember(array $step)
    {
        $this->undo[] = $step;
        $this->journalDirty = true;
    }

    /**
     * Writes the undo steps so far to the change's journal row, before the rows they keep are
     * written. A change whose steps cannot be written is not made (the error stops it).
     */
    private function journalSave()
    {
        if (!$this->journalDirty || self::$journal === false) {
            return;
        }
        // serialize(): lossless for any bytes a row holds (JSON is not, for invalid UTF-8).
        $blob = serialize($this->undo);
        if ($this->journalId) {
            $this->db->execute('UPDATE group_journal SET steps = ? WHERE id = ?', array($blob, $this->journalId));
        } else {
            $this->db->execute('INSERT INTO group_journal (route, started, steps) VALUES (?, ?, ?)',
                array($this->changeRoute, time(), $blob));
            $this->journalId = $this->db->lastInsertId();
        }
        $this->journalDirty = false;
    }

    /** The change is done (or completely put back): its journal row goes. */
    private function journalDone()
    {
        if ($this->journalId) {
            $this->db->execute('DELETE FROM group_journal WHERE id = ?', array($this->journalId));
            $this->journalId = 0;
        }
        $this->journalDirty = false;
    }

    /**
     * Puts back changes cut short by a crash: journal rows left by a process that died (the
     * write lock is free, so no change is running). $locked: the caller holds the write lock;
     * otherwise it is taken only if free right now (a reader never waits for a writer).
     * One statement when there is nothing to do.
     */
    private function recover($host, $locked)
    {
        if (self::$journal === false) {
            return;
        }
        try {
            $pending = $this->db->select('SELECT id FROM group_journal LIMIT 1');
        } catch (Throwable $e) {
            if (!GroupDb::isMissingTable($e)) {
                throw $e;
            }
            self::$journal = false;
            $this->logWarn('the table group_journal is missing: run Admin > Update database. Until then a group change '
                . 'cut short by a crash cannot be put back.');
            return;
        }
        self::$journal = true;
        if (!$pending || (!$locked && !$this->db->tryLock())) {
            return;
        }
        try {
            foreach ($this->db->select('SELECT id, route, started, steps FROM group_journal ORDER BY id DESC') as $row) {
                $this->recoverOne($row, $host);
            }
        } finally {
            if (!$locked) {
                $this->db->unlock();
            }
        }
    }

    private function recoverOne(array $row, $host)
    {
        $id = (int) $row['id'];
        $what = "a group change ($row[route], started " . gmdate('Y-m-d H:i:s', (int) $row['started']) . " UTC, journal row $id)";
        $steps = @unserialize((string) $row['steps'], array('allowed_classes' => false));
        if (!is_array($steps)) {
            $this->logError("$what: its journal row cannot be read; it is left in place");
            return;
        }
        try {
            $deleting = self::accountBeingDeleted($steps);
            if ($deleting) {
                // emoncms's deletion of the account had begun (it removes feeds, their data and
                // inputs before the users row): it cannot be undone, so it is finished.
                try {
                    $this->repairing(array('users', 'group_users'), function () use ($deleting, $host) {
                        $this->finishDeletion($deleting, $host);
                    });
                    $this->logWarn("$what was cut short during the deletion of account $deleting: the deletion is finished");
                } catch (GroupHostRefusal $e) {
                    // emoncms's own deletion refuses (not a passing failure): the memberships go as
                    // asked, the account is left to the site administrator. Not retried forever.
                    $this->db->execute('DELETE FROM group_users WHERE userid = ?', array($deleting));
                    $this->logError("$what was cut short during the deletion of account $deleting, and emoncms could not "
                        . 'finish it (' . $e->getMessage() . '): its group memberships are removed; delete the account in Admin > Users');
                }
                $this->db->execute('DELETE FROM group_journal WHERE id = ?', array($id));
                return;
            }
            foreach (array_reverse($steps) as $step) {
                $tables = $step[0] === 'rows' ? array($step[1]) : array($step[0] === 'group_id' ? 'groups' : 'users');
                $this->repairing($tables, function () use ($step, $host) {
                    $this->undoStep($step, $host);
                });
            }
            $this->db->execute('DELETE FROM group_journal WHERE id = ?', array($id));
            $this->logWarn("$what was cut short: every row it wrote is put back");
        } catch (Throwable $e) {
            $this->logError("$what was cut short and could not be put back yet: " . $e->getMessage());
        }
    }

    /** The account a change's steps had begun deleting (fullremoveuser), or 0. */
    private static function accountBeingDeleted(array $steps)
    {
        foreach ($steps as $step) {
            if (is_array($step) && isset($step[0], $step[1]) && $step[0] === 'deleted_account') {
                return (int) $step[1];
            }
        }
        return 0;
    }

    /** Finishes fullremoveuser: the account through emoncms's own deletion, then its memberships. */
    private function finishDeletion($userid, $host)
    {
        if ($this->db->select('SELECT id FROM users WHERE id = ?', array($userid))) {
            if (!$host) {
                throw new GroupDbFailure("finishing the deletion of account $userid needs emoncms's user model");
            }
            $host->deleteUser($userid);
            if ($this->db->select('SELECT id FROM users WHERE id = ?', array($userid))) {
                throw new GroupDbFailure("emoncms did not delete account $userid");
            }
        }
        $this->db->execute('DELETE FROM group_users WHERE userid = ?', array($userid));
    }

    /**
     * MariaDB's answers for a damaged MyISAM table (a MariaDB killed in the middle of a write can
     * leave the index out of step with the data, which its quick check on opening may miss).
     */
    const DAMAGED_TABLE = array(126, 127, 132, 134, 144, 145, 1032, 1034, 1194, 1195);

    /**
     * Runs $step; if MariaDB says one of $tables is damaged, repairs them (REPAIR TABLE rebuilds
     * the index from the rows; whatever it cannot keep of the rows this recovery writes back
     * comes from the journal's before-images) and runs $step once more. Recovery only.
     */
    private function repairing(array $tables, callable $step)
    {
        try {
            $step();
        } catch (Throwable $e) {
            if (!in_array((int) $e->getCode(), self::DAMAGED_TABLE, true)) {
                throw $e;
            }
            foreach ($tables as $table) {
                $quoted = $this->db->table($table);
                $result = $this->db->selectText("REPAIR TABLE $quoted");
                $last = $result ? end($result) : array();
                $this->logWarn("putting back a cut-short group change: MariaDB reported $table damaged ("
                    . $e->getMessage() . '); REPAIR TABLE: ' . (isset($last['Msg_text']) ? $last['Msg_text'] : 'no answer'));
            }
            $step();
        }
    }

    /** search: at most this many hits; `more` counts the rest. */
    const SEARCH_HITS = 20;

    /**
     * search (a module route, core/ROUTES.md): the members the caller's mygroups answer shows,
     * matched case-insensitively on username, name and tag keys and values. The engine's mygroups
     * runs on a state without feeds and inputs, so it costs what the rows of groups and users cost.
     */
    private function search(array $params, array $session, array $context)
    {
        $q = isset($params['term']) && is_string($params['term']) ? mb_strtolower(trim($params['term'])) : '';
        $result = $this->route('mygroups', array(), $session, null, $context);
        $body = $result->body;
        if (!is_array($body)) {
            return $result;   // the gate's failure, as mygroups answers it
        }
        $hits = array();
        $matched = 0;
        if ($q !== '') {
            foreach ($body as $g) {
                if (!isset($g->users) || !is_array($g->users)) {
                    continue;
                }
                foreach ($g->users as $u) {
                    $text = array(isset($u->username) ? (string) $u->username : '', isset($u->name) ? (string) $u->name : '');
                    if (isset($u->tags) && (is_object($u->tags) || is_array($u->tags))) {
                        foreach ((array) $u->tags as $k => $v) {
                            $text[] = (string) $k;
                            $text[] = is_scalar($v) ? (is_bool($v) ? ($v ? 'true' : 'false') : (string) $v) : json_encode($v);
                        }
                    }
                    if (strpos(mb_strtolower(implode(' ', array_filter($text, 'strlen'))), $q) === false) {
                        continue;
                    }
                    $matched++;
                    if (count($hits) < self::SEARCH_HITS) {
                        $hit = (object) array('groupid' => $g->groupid, 'group' => $g->name, 'userid' => $u->userid,
                            'username' => $u->username);
                        if (property_exists($u, 'name')) {
                            $hit->name = $u->name;
                        }
                        $hits[] = $hit;
                    }
                }
            }
        }
        return (object) array('format' => 'json', 'body' => (object) array('success' => true, 'hits' => $hits,
            'more' => $matched - count($hits)));
    }

    private static function failure($route, $message)
    {
        if ($route === 'setuser') {
            return (object) array('format' => 'text', 'body' => 'ERROR: ' . $message);
        }
        return (object) array('format' => 'json', 'body' => (object) array('success' => false, 'message' => $message));
    }

    /**
     * One wire request: [its result as objects (so `{}` stays `{}` when re-encoded), the JSON
     * text of a JSON body written apart or null]. EmonGroups\callApart writes a route's JSON
     * body apart, so that megabytes of feed rows are never decoded only to be encoded again.
     */
    private function engine(array $request, $scopable = false)
    {
        $request = array('v' => 1, 'profile' => 'emoncms') + $request;
        // Numbers as index.php's json_encode writes them (100.0 as 100): the member lists pass
        // the feed rows' text through to the answer unchanged.
        $json = json_encode($request, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
            | JSON_INVALID_UTF8_SUBSTITUTE);
        if ($json === false) {
            throw new GroupEngineFailure('internal', 'the request could not be encoded: ' . json_last_error_msg());
        }
        if ($scopable && strlen($json) > $this->stateBudget) {
            throw new GroupStateTooLarge((string) strlen($json));
        }
        $bodyText = null;
        if (function_exists('EmonGroups\\callApart')) {
            list($text, $bodyText) = \EmonGroups\callApart($json);
            $answer = json_decode($text);
        } else {
            $answer = json_decode(\EmonGroups\call($json));
        }
        if (!is_object($answer) || !isset($answer->ok)) {
            throw new GroupEngineFailure('internal', 'the engine answered something that is not a wire answer');
        }
        if ($answer->ok !== true) {
            $code = isset($answer->error->code) ? $answer->error->code : 'internal';
            $message = isset($answer->error->message) ? $answer->error->message : 'no message';
            throw new GroupEngineFailure($code, $message);
        }
        return array($answer->result, $bodyText);
    }

    // ---------------------------------------------------------------------------------------
    // A group too large for one state: the member lists in slices
    // ---------------------------------------------------------------------------------------

    /**
     * userlist or mygroups whose request is above the budget. Each member's entry depends on the
     * caller's membership and on that member's own rows only (core/ROUTES.md), so the members
     * are answered in slices: each engine call gets the group, the caller's rows and one slice
     * of members with their users rows, feeds and inputs, and only that slice's entries are kept.
     * Same entries, same order (by user id), as one call would give.
     */
    private function scopedList($route, array $request, $rawBody, $bytes)
    {
        $state = $request['state'];
        $caller = isset($request['session']['userid']) ? (int) $request['session']['userid'] : 0;
        // What a row weighs in the request ($bytes: its encoded length, from engine()), on average,
        // and each member's number of feeds.
        $rows = count($state['feeds']) + count($state['users']);
        $feedsOf = array();
        foreach ($state['feeds'] as $f) {
            $uid = (int) $f['userid'];
            $feedsOf[$uid] = isset($feedsOf[$uid]) ? $feedsOf[$uid] + 1 : 1;
        }
        $sizes = array('perRow' => $rows ? $bytes / $rows : $bytes, 'feedsOf' => $feedsOf);
        if ($route === 'userlist') {
            $gid = self::idOf(isset($request['params']->groupid) ? $request['params']->groupid : null);
            $answer = $this->scopedUserlist($request, $gid, $caller, $sizes);
        } else {
            // The caller's groups (grouplist's entries, in its order) from a state holding only
            // the caller's own rows; then each group's users, sliced like userlist.
            $bare = $request;
            $bare['state'] = self::sliceState($state, null, array($caller => true));
            list($result, $bodyText) = $this->engine($bare);
            $answer = $bodyText !== null ? json_decode($bodyText) : $result->body;
            if (is_array($answer)) {
                foreach ($answer as $entry) {
                    if (is_object($entry) && isset($entry->groupid)) {
                        $entry->users = $this->scopedUserlist($request, (int) $entry->groupid, $caller, $sizes);
                    }
                }
            }
        }
        $this->logWarn("$route: the request was " . number_format($bytes) . ' bytes, above the state budget of '
            . number_format($this->stateBudget) . ': answered in slices of members');
        $text = json_encode($answer, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE);
        $done = (object) array('format' => 'json', 'body' => null);
        if ($rawBody) {
            $done->json = $text;
        } else {
            $done->body = $answer;
        }
        return $done;
    }

    /** The userlist answer of group $gid (decoded), one engine call per slice of members. */
    private function scopedUserlist(array $request, $gid, $caller, array $sizes)
    {
        $state = $request['state'];
        $members = array();
        foreach ($state['memberships'] as $m) {
            if ($m['groupid'] === $gid) {
                $members[$m['userid']] = true;
            }
        }
        ksort($members);
        $feedsOf = $sizes['feedsOf'];
        // Slices of half the budget by their share of the rows (a member weighs its feeds and
        // one for its users row): room for rows that weigh more than the average.
        $room = max(1, (int) floor(0.5 * $this->stateBudget / max(1.0, $sizes['perRow'])));
        $slices = array();
        $slice = array();
        $weight = 0;
        foreach (array_keys($members) as $uid) {
            $w = 1 + (isset($feedsOf[$uid]) ? $feedsOf[$uid] : 0);
            if ($slice && $weight + $w > $room) {
                $slices[] = $slice;
                $slice = array();
                $weight = 0;
            }
            $slice[$uid] = true;
            $weight += $w;
        }
        if ($slice || !$slices) {
            $slices[] = $slice;
        }
        $list = array();
        foreach ($slices as $slice) {
            $part = $request;
            $part['route'] = 'userlist';
            $part['params'] = (object) array('groupid' => (string) $gid);
            $part['state'] = self::sliceState($state, $gid, $slice + array($caller => true));
            list($result, $bodyText) = $this->engine($part);
            $answer = $bodyText !== null ? json_decode($bodyText) : $result->body;
            if (!is_array($answer)) {
                // A refusal (the caller may not list this group) is the same for every slice.
                return $answer;
            }
            foreach ($answer as $entry) {
                if (is_object($entry) && isset($entry->userid) && isset($slice[(int) $entry->userid])) {
                    $list[] = $entry;
                }
            }
        }
        return $list;
    }

    /**
     * The rows of $state for the users in $uids: their memberships (of group $gid only, or of
     * every group when null), users rows, feeds and inputs; every group row stays.
     */
    private static function sliceState(array $state, $gid, array $uids)
    {
        $out = array('groups' => $state['groups'], 'memberships' => array(), 'users' => array(), 'feeds' => array());
        foreach ($state['memberships'] as $m) {
            if (isset($uids[$m['userid']]) && ($gid === null || $m['groupid'] === $gid)) {
                $out['memberships'][] = $m;
            }
        }
        foreach ($state['users'] as $u) {
            if (isset($uids[$u['id']])) {
                $out['users'][] = $u;
            }
        }
        foreach ($state['feeds'] as $f) {
            if (isset($uids[(int) $f['userid']])) {
                $out['feeds'][] = $f;
            }
        }
        return $out;
    }

    // ---------------------------------------------------------------------------------------
    // Facts: only the rows a route needs
    // ---------------------------------------------------------------------------------------

    /**
     * The state (core/WIRE.md, profile emoncms) for $route. $lock: take the group row locks of a
     * write route. $host may be null when no route needs feeds or inputs.
     */
    private function facts($route, array $params, array $session, $host, $lock)
    {
        $state = new GroupState();
        $caller = isset($session['userid']) ? (int) $session['userid'] : 0;
        $gid = self::idOf(isset($params['groupid']) ? $params['groupid'] : null);
        $target = self::idOf(isset($params['userid']) ? $params['userid'] : null);

        switch ($route) {
            case 'create':
                // Names are unique: every group takes part, and the lock serialises two creates.
                $this->loadAllGroups($state, $lock);
                break;

            case 'editgroup':
                $this->loadAllGroups($state, $lock);
                if ($gid) {
                    $this->loadMembersOf($state, array($gid));
                }
                break;

            case 'delete':
            case 'addmemberauth':
            case 'adduserauth':
            case 'createuseraddtogroup':
            case 'removeuser':
            case 'summary':
                if ($gid) {
                    $this->loadGroups($state, array($gid), $lock);
                    $this->loadMembersOf($state, array($gid));
                }
                break;

            case 'deleteallgroupsfromuser':
                if ($caller) {
                    $gids = $this->groupIdsOf($caller);
                    if ($gids) {
                        $this->loadGroups($state, $gids, $lock);
                        $this->loadMembersOf($state, $gids);
                    }
                }
                break;

            case 'fullremoveuser':
            case 'setuserinfo':
            case 'sendlogindetails':
            case 'setuser':
                if ($gid) {
                    $this->loadGroups($state, array($gid), $lock);
                    $this->loadMembersOf($state, array($gid));
                }
                // Account rules look at the target's roles in every group, and at both users rows.
                $uids = array_values(array_filter(array($caller, $target)));
                if ($uids) {
                    $this->loadMembershipsOfUsers($state, $uids, false);
                    $this->loadUsers($state, $uids);
                }
                break;

            case 'grouplist':
                if ($caller) {
                    $this->loadMembershipsOfUsers($state, array($caller), true);
                }
                break;

            case 'getsessionuserrole':
                if ($caller && $gid) {
                    $this->loadMembershipOfPair($state, $gid, $caller);
                }
                break;

            case 'userlist':
            case 'aggregate':
                if ($gid) {
                    $this->loadGroups($state, array($gid), false);
                    $members = $this->loadMembersOf($state, array($gid));
                    if ($route === 'userlist') {
                        $this->loadUsers($state, $members);
                    }
                    if ($host) {
                        // aggregate looks at the feeds of one name only: the state holds just those
                        // (however many feeds the members have, it stays small).
                        $this->loadFeedsOf($state, $members, $host, $route === 'userlist', $route === 'aggregate'
                            ? (isset($params['feedname']) && is_string($params['feedname']) ? $params['feedname'] : '') : null);
                    }
                }
                break;

            case 'snapshot':
                // The browser's access preview: as userlist, plus every membership of each
                // member (the account rules look at a member's roles in every group).
                if ($gid) {
                    $this->loadGroups($state, array($gid), false);
                    $members = $this->loadMembersOf($state, array($gid));
                    $this->loadUsers($state, $members);
                    if ($host) {
                        $this->loadFeedsOf($state, $members, $host, true);
                    }
                    if ($members) {
                        $this->loadMembershipsOfUsers($state, $members, false);
                    }
                }
                break;

            case 'mygroups':
                if ($caller) {
                    $gids = $this->loadMembershipsOfUsers($state, array($caller), true);
                    if ($gids) {
                        $members = $this->loadMembersOf($state, $gids);
                        $this->loadUsers($state, $members);
                        if ($host) {
                            $this->loadFeedsOf($state, $members, $host, true);
                        }
                    }
                }
                break;

            case 'getuserfeeds':
                if ($gid) {
                    $this->loadGroups($state, array($gid), false);
                    $this->loadMembersOf($state, array($gid));
                    if ($target && $host) {
                        $this->loadFeedsOf($state, array($target), $host, false);
                    }
                }
                break;

            case 'getfeed':
            case 'csvexport':
                // B-25: at most two statements, whatever the number of groups, members and feeds.
                $ids = self::feedIdsOf($route, isset($params['id']) ? $params['id'] : null);
                $this->loadFeedAccess($state, $ids, $caller, $route === 'csvexport' ? $gid : null);
                break;
        }
        return $state->toArray();
    }

    /** getfeed: one id; csvexport: a comma list (the engine validates; this only picks rows). */
    private static function feedIdsOf($route, $raw)
    {
        if (!is_string($raw)) {
            return array();
        }
        $parts = $route === 'csvexport' ? explode(',', preg_replace('/[^0-9,]/', '', $raw)) : array($raw);
        $ids = array();
        foreach ($parts as $part) {
            $id = self::idOf($part);
            if ($id) {
                $ids[$id] = $id;
            }
        }
        return count($ids) > self::MAX_FEED_IDS ? array() : array_values($ids);
    }

    /** A strictly formed id (digits, 1 … 2147483647), or null. */
    public static function idOf($raw)
    {
        if (is_int($raw)) {
            $raw = (string) $raw;
        }
        if (!is_string($raw) || $raw === '' || strlen($raw) > 10 || !ctype_digit($raw)) {
            return null;
        }
        $n = (int) $raw;
        return ($n >= 1 && $n <= 2147483647) ? $n : null;
    }

    private function groupColumns($alias = '')
    {
        $p = $alias === '' ? '' : "$alias.";
        return "{$p}id, {$p}name, {$p}description, {$p}organization, {$p}area, {$p}visibility, {$p}access";
    }

    private function loadAllGroups(GroupState $state, $lock)
    {
        $rows = $this->db->select('SELECT ' . $this->groupColumns() . ' FROM ' . $this->db->table('groups')
            . ($lock ? $this->db->forUpdate() : ''));
        foreach ($rows as $row) {
            $state->group($row);
        }
    }

    private function loadGroups(GroupState $state, array $gids, $lock)
    {
        $rows = $this->db->select('SELECT ' . $this->groupColumns() . ' FROM ' . $this->db->table('groups')
            . ' WHERE id IN (' . GroupDb::marks(count($gids)) . ')' . ($lock ? $this->db->forUpdate() : ''), $gids);
        foreach ($rows as $row) {
            $state->group($row);
        }
    }

    /** Every membership row of these groups (duplicates kept: the engine merges them, B-27). */
    private function loadMembersOf(GroupState $state, array $gids)
    {
        $rows = $this->db->select('SELECT groupid, userid, role, admin_rights FROM group_users WHERE groupid IN ('
            . GroupDb::marks(count($gids)) . ')', $gids);
        $members = array();
        foreach ($rows as $row) {
            $state->membership($row);
            $members[(int) $row['userid']] = (int) $row['userid'];
        }
        return array_values($members);
    }

    /**
     * Every membership of these users in groups that exist (orphan rows left by 2.0.0 grant
     * nothing). $full: with the group's columns (for lists), else bare group ids (for rules).
     * Answers the group ids.
     */
    private function loadMembershipsOfUsers(GroupState $state, array $uids, $full)
    {
        $cols = 'gu.groupid, gu.userid, gu.role, gu.admin_rights' . ($full
            ? ', g.name, g.description, g.organization, g.area, g.visibility, g.access' : '');
        $rows = $this->db->select("SELECT $cols FROM group_users gu JOIN " . $this->db->table('groups')
            . ' g ON g.id = gu.groupid WHERE gu.userid IN (' . GroupDb::marks(count($uids)) . ')', $uids);
        $gids = array();
        foreach ($rows as $row) {
            $gid = (int) $row['groupid'];
            $gids[$gid] = $gid;
            if ($full) {
                $state->group(array('id' => $gid, 'name' => $row['name'], 'description' => $row['description'],
                    'organization' => $row['organization'], 'area' => $row['area'],
                    'visibility' => $row['visibility'], 'access' => $row['access']));
            } else {
                $state->bareGroup($gid);
            }
            $state->membership($row);
        }
        return array_values($gids);
    }

    private function loadMembershipOfPair(GroupState $state, $gid, $uid)
    {
        $rows = $this->db->select('SELECT gu.groupid, gu.userid, gu.role, gu.admin_rights FROM group_users gu JOIN '
            . $this->db->table('groups') . ' g ON g.id = gu.groupid WHERE gu.groupid = ? AND gu.userid = ?',
            array($gid, $uid));
        foreach ($rows as $row) {
            $state->bareGroup((int) $row['groupid']);
            $state->membership($row);
        }
    }

    private function groupIdsOf($uid)
    {
        $rows = $this->db->select('SELECT DISTINCT groupid FROM group_users WHERE userid = ?', array($uid));
        $gids = array();
        foreach ($rows as $row) {
            if ($row['groupid'] !== null) {
                $gids[] = (int) $row['groupid'];
            }
        }
        return $gids;
    }

    /** users rows: never passwords or API keys. */
    private function loadUsers(GroupState $state, array $uids)
    {
        if (!$uids) {
            return;
        }
        $columns = $this->userColumns();
        $rows = $this->db->select('SELECT ' . implode(', ', $columns) . ' FROM users WHERE id IN ('
            . GroupDb::marks(count($uids)) . ')', $uids);
        foreach ($rows as $row) {
            $state->user($row);
        }
    }

    /** Which of USER_COLUMNS `users` has (`access` exists from emoncms 11.10.1). */
    private function userColumns()
    {
        if ($this->userColumns !== null) {
            return $this->userColumns;
        }
        $cacheKey = 'emongroups:usercolumns';
        if ($this->redis) {
            $cached = json_decode((string) $this->redis->get($cacheKey), true);
            if (is_array($cached) && $cached) {
                return $this->userColumns = $cached;
            }
        }
        $version = self::emoncmsVersion();
        if ($version !== null) {
            // emoncms's own tree says which columns its updater made: users.access from 11.10.1.
            $have = version_compare($version, '11.10.1', '>=') ? self::USER_COLUMNS
                : array_values(array_diff(self::USER_COLUMNS, array('access')));
        } else {
            $rows = $this->db->select('SHOW COLUMNS FROM users');
            $have = array_map(function ($r) { return strtolower($r['Field']); }, $rows);
        }
        $this->userColumns = array_values(array_intersect(self::USER_COLUMNS, $have));
        if ($this->redis) {
            $this->redis->setex($cacheKey, 3600, json_encode($this->userColumns));
        }
        return $this->userColumns;
    }

    /** The version of the emoncms tree this runs in (version.json, 11.x; version.txt, 10.x), or null. */
    private static function emoncmsVersion()
    {
        if (is_file('version.json')) {
            $v = json_decode((string) file_get_contents('version.json'), true);
            return isset($v['version']) && is_string($v['version']) ? $v['version'] : null;
        }
        if (is_file('version.txt')) {
            $v = trim((string) file_get_contents('version.txt'));
            return preg_match('/^\d+\.\d+\.\d+$/', $v) ? $v : null;
        }
        return null;
    }

    private function userColumnsAll()
    {
        return array_merge($this->userColumns(), array('password', 'salt'));
    }

    /**
     * Members' feeds as emoncms's Feed::get_user_feeds gives them (the rows 2.0.0 listed), and
     * their inputs as Input::get_inputs does — for all members at once: with Redis one pipeline
     * per kind of key, without it one statement per table (GroupHost::membersFeeds).
     */
    private function loadFeedsOf(GroupState $state, array $uids, $host, $withInputs, $onlyName = null)
    {
        if (!$uids) {
            return;
        }
        $rows = $host->membersFeeds($this->db, $uids);
        if ($onlyName !== null) {
            // As the engine compares: a feed without a name is never one of that name.
            $rows = array_filter($rows, function ($row) use ($onlyName) {
                return isset($row['name']) && (string) $row['name'] === $onlyName;
            });
        }
        $state->feeds($rows);
        if ($withInputs) {
            foreach ($host->membersInputs($this->db, $uids) as $uid => $inputs) {
                $state->inputs($uid, $inputs);
            }
        }
    }

    /**
     * getfeed / csvexport (B-25: one statement whatever the number of groups, members and feeds;
     * csvexport one more for the caller's role in the group it names): each requested feed's
     * owner and public flag, with every group that exists and that the caller and the owner are
     * both in, and their two memberships there. A group can only grant the caller a feed when both
     * are in it, so memberships in other groups are not read (an administrator of 50 groups
     * reading one member's feed gets one row, not 51). Groups go to the engine as bare ids. Every
     * value is an integer id, so the statement goes as text: one round trip, as emoncms's own
     * feed/data.json costs, not a prepare and an execute.
     */
    private function loadFeedAccess(GroupState $state, array $ids, $caller, $gid)
    {
        $ids = array_values(array_unique(array_map('intval', $ids)));
        $caller = (int) $caller;
        $seen = array();
        $member = function ($groupid, $userid, $role, $rights) use ($state, &$seen) {
            if (isset($seen["$groupid:$userid"])) {
                return;
            }
            $seen["$groupid:$userid"] = true;
            $state->bareGroup((int) $groupid);
            $state->membership(array('groupid' => $groupid, 'userid' => $userid, 'role' => $role, 'admin_rights' => $rights));
        };
        if ($ids) {
            $in = implode(',', $ids);
            // Anonymous: only the public flag counts, no membership can matter.
            $sql = $caller
                ? 'SELECT f.id, f.userid, f.public, a.groupid, a.role AS crole, a.admin_rights AS crights,'
                    . ' b.role AS orole, b.admin_rights AS orights FROM feeds f LEFT JOIN (group_users b'
                    . " JOIN group_users a ON a.groupid = b.groupid AND a.userid = $caller"
                    . ' JOIN ' . $this->db->table('groups') . ' g ON g.id = a.groupid) ON b.userid = f.userid'
                    . " WHERE f.id IN ($in) AND f.userid IS NOT NULL"
                : "SELECT id, userid, public FROM feeds WHERE id IN ($in) AND userid IS NOT NULL";
            $feeds = array();
            foreach ($this->db->selectText($sql) as $row) {
                if (!isset($feeds[$row['id']])) {
                    $feeds[$row['id']] = true;
                    $state->feed(array('id' => (int) $row['id'], 'userid' => (int) $row['userid'], 'public' => (int) $row['public'] === 1));
                }
                if (isset($row['groupid'])) {
                    $member($row['groupid'], $caller, $row['crole'], $row['crights']);
                    $member($row['groupid'], $row['userid'], $row['orole'], $row['orights']);
                }
            }
        }
        if ($caller && $gid) {
            $rows = $this->db->selectText('SELECT gu.groupid, gu.userid, gu.role, gu.admin_rights FROM group_users gu JOIN '
                . $this->db->table('groups') . ' g ON g.id = gu.groupid WHERE gu.userid = ' . $caller . ' AND gu.groupid = ' . (int) $gid);
            foreach ($rows as $row) {
                $member($row['groupid'], $row['userid'], $row['role'], $row['admin_rights']);
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Needs and changes
    // ---------------------------------------------------------------------------------------

    private function perform($need, $host)
    {
        switch ($need->kind) {
            case 'new_groupid':
                return $this->reserveGroupId();
            case 'verify_login':
                return $host->verifyLogin((string) $need->username, (string) $need->password);
            case 'register_user':
                // Journaled before the account exists (its id is not known yet): a crash between
                // emoncms's register and the membership leaves no orphan account.
                $highest = $this->db->select('SELECT MAX(id) AS id FROM users');
                $step = count($this->undo);
                $this->remember(array('account', (string) $need->username, $highest ? (int) $highest[0]['id'] : 0, 0));
                $this->journalSave();
                $made = $host->registerUser((string) $need->username, (string) $need->password,
                    (string) $need->email, (string) $need->timezone);
                if (!empty($made['success']) && isset($made['userid']) && (int) $made['userid'] > 0) {
                    // emoncms's User::register commits the account on its own: should the rest of
                    // the change fail, the account goes again (emoncms's own deletion), so no
                    // orphan is left. (Without an id, the step finds it by name above the old
                    // highest id: 11.x answers nothing when only its e-mail failed.)
                    $this->undo[$step][3] = (int) $made['userid'];
                    $this->journalDirty = true;
                }
                return $made;
            case 'delete_user':
                // Journaled first: once emoncms's deletion has begun, a failure or a crash
                // finishes it (undoChange, recoverOne) rather than leaving half an account.
                $this->remember(array('deleted_account', (int) $need->userid));
                $this->journalSave();
                $this->irreversible = 'the deletion of account ' . (int) $need->userid;
                try {
                    return $host->deleteUser((int) $need->userid);
                } catch (GroupHostRefusal $e) {
                    // emoncms's deletion itself stopped (its answer says so): reported as it is,
                    // not retried — the step goes, so the undo does not try to finish it.
                    array_pop($this->undo);
                    $this->journalDirty = true;
                    $this->irreversible = '';
                    throw $e;
                }
            case 'send_email':
                return $host->sendEmail($need);
            case 'feed_data':
                return $host->feedData($need);
        }
        throw new GroupEngineFailure('internal', "unknown need `{$need->kind}`");
    }

    /**
     * `new_groupid`: the id comes from the table's own AUTO_INCREMENT, taken by inserting an
     * empty placeholder row inside the route's transaction; `insert_group` then fills that row.
     * Two concurrent creates can never get the same id, and a rollback removes the placeholder.
     */
    private function reserveGroupId()
    {
        $highest = $this->db->select('SELECT MAX(id) AS id FROM ' . $this->db->table('groups'));
        $step = count($this->undo);
        $this->remember(array('group_id', $highest ? (int) $highest[0]['id'] : 0, 0));
        $this->journalSave();
        $this->db->execute('INSERT INTO ' . $this->db->table('groups') . ' (name) VALUES (NULL)');
        $this->reservedGroupId = $this->db->lastInsertId();
        if ($this->reservedGroupId < 1) {
            throw new GroupDbFailure('could not reserve a group id');
        }
        $this->undo[$step][2] = $this->reservedGroupId;
        $this->journalDirty = true;
        return $this->reservedGroupId;
    }

    // --- before-images: each records how to put back the rows a change is about to write ------

    /** Rows of $table matching $where, restored (delete what is there now, insert them) on undo. */
    private function keep($table, $where, array $params)
    {
        $db = $this->db;
        $quoted = $db->table($table);
        $rows = $db->select("SELECT * FROM $quoted WHERE $where", $params);
        $this->remember(array('rows', $table, $where, $params, $rows));
    }

    /** The users row's fields a change can write, put back by UPDATE (the row itself stays). */
    private function keepUser($userid)
    {
        $db = $this->db;
        $columns = array_values(array_intersect(array('username', 'name', 'email', 'bio', 'location', 'timezone', 'tags',
            'password', 'salt'), $this->userColumnsAll()));
        $rows = $db->select('SELECT ' . implode(', ', $columns) . ' FROM users WHERE id = ?', array($userid));
        if (!$rows) {
            return;
        }
        $this->remember(array('user', (int) $userid, $rows[0]));
    }

    /** Writes the engine's changes in order; the caller commits or rolls back. */
    private function apply(array $changes, $host)
    {
        $groups = $this->db->table('groups');
        $keptUsers = array();
        foreach ($changes as $c) {
            switch ($c->kind) {
                case 'insert_group':
                case 'update_group':
                    if ((int) $c->id !== $this->reservedGroupId) {
                        $this->keep('groups', 'id = ?', array((int) $c->id));
                    }
                    break;
                case 'delete_group':
                    $this->keep('groups', 'id = ?', array((int) $c->id));
                    $this->keep('group_users', 'groupid = ?', array((int) $c->id));
                    break;
                case 'insert_membership':
                case 'update_membership':
                case 'delete_membership':
                    $this->keep('group_users', 'groupid = ? AND userid = ?', array((int) $c->groupid, (int) $c->userid));
                    break;
                case 'update_user_profile':
                case 'set_username':
                case 'set_email':
                case 'set_password':
                    if (!isset($keptUsers[(int) $c->userid])) {
                        $keptUsers[(int) $c->userid] = true;
                        $this->keepUser((int) $c->userid);
                    }
                    if ($c->kind === 'set_password' && $this->tableExists('rememberme')) {
                        $this->keep('rememberme', 'userid = ?', array((int) $c->userid));
                    }
                    break;
            }
            $this->journalSave();
            switch ($c->kind) {
                case 'insert_group':
                    $values = array($c->name, $c->description, $c->organization, $c->area, $c->visibility, $c->access, (int) $c->id);
                    if ((int) $c->id === $this->reservedGroupId) {
                        $this->db->execute("UPDATE $groups SET name = ?, description = ?, organization = ?, area = ?, "
                            . 'visibility = ?, access = ? WHERE id = ?', $values);
                    } else {
                        $this->db->execute("INSERT INTO $groups (name, description, organization, area, visibility, access, id) "
                            . 'VALUES (?, ?, ?, ?, ?, ?, ?)', $values);
                    }
                    break;
                case 'update_group':
                    $this->db->execute("UPDATE $groups SET name = ?, description = ?, organization = ?, area = ?, "
                        . 'visibility = ?, access = ? WHERE id = ?',
                        array($c->name, $c->description, $c->organization, $c->area, $c->visibility, $c->access, (int) $c->id));
                    break;
                case 'delete_group':
                    $this->db->execute("DELETE FROM $groups WHERE id = ?", array((int) $c->id));
                    $this->db->execute('DELETE FROM group_users WHERE groupid = ?', array((int) $c->id));
                    break;
                case 'insert_membership':
                    $this->db->execute('INSERT INTO group_users (groupid, userid, role, admin_rights) VALUES (?, ?, ?, ?)',
                        array((int) $c->groupid, (int) $c->userid, (int) $c->role, $c->admin_rights));
                    break;
                case 'update_membership':
                    // Every row of the pair: duplicates left by 2.0.0 all take the new values.
                    $this->db->execute('UPDATE group_users SET role = ?, admin_rights = ? WHERE groupid = ? AND userid = ?',
                        array((int) $c->role, $c->admin_rights, (int) $c->groupid, (int) $c->userid));
                    break;
                case 'delete_membership':
                    $this->db->execute('DELETE FROM group_users WHERE groupid = ? AND userid = ?',
                        array((int) $c->groupid, (int) $c->userid));
                    break;
                case 'update_user_profile':
                    $host->updateProfile($c);
                    break;
                case 'set_username':
                    $host->setUsername((int) $c->userid, (string) $c->username);
                    break;
                case 'set_email':
                    $host->setEmail((int) $c->userid, (string) $c->email);
                    break;
                case 'set_password':
                    $this->setPassword((int) $c->userid, (string) $c->password);
                    break;
                default:
                    throw new GroupEngineFailure('internal', "unknown change `{$c->kind}`");
            }
        }
    }

    /**
     * emoncms's password scheme (sha256 of salt . sha256(password), 16-byte random salt), written
     * directly because core has no "set password" without the old one. Remember-me tokens of the
     * user are removed so a stolen cookie stops working.
     */
    private function setPassword($userid, $password)
    {
        $salt = bin2hex(random_bytes(16));
        $hash = hash('sha256', $salt . hash('sha256', $password));
        if ($this->db->execute('UPDATE users SET password = ?, salt = ? WHERE id = ?', array($hash, $salt, $userid)) < 1) {
            $exists = $this->db->select('SELECT id FROM users WHERE id = ?', array($userid));
            if (!$exists) {
                throw new GroupHostRefusal('User does not exist');
            }
        }
        if ($this->tableExists('rememberme')) {
            $this->db->execute('DELETE FROM rememberme WHERE userid = ?', array($userid));
        }
    }

    private function tableExists($name)
    {
        return (bool) $this->db->select('SELECT TABLE_NAME FROM information_schema.TABLES '
            . 'WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', array($name));
    }

    private static function csvFilename($need)
    {
        $start = is_numeric($need->start) ? (int) $need->start : 0;
        $end = is_numeric($need->end) ? (int) $need->end : 0;
        $name = is_string($need->name) ? $need->name : '';
        return date('YmdHis', $start) . '_' . date('YmdHis', $end) . '_' . $name . '.csv';
    }

    public static function toArray($value)
    {
        return json_decode(json_encode($value), true);
    }

    private function logWarn($message)
    {
        if ($this->log) {
            $this->log->warn($message);
        } else {
            error_log("emongroups: $message");
        }
    }

    private function logError($message)
    {
        if ($this->log) {
            $this->log->error($message);
        } else {
            error_log("emongroups: $message");
        }
    }
}

/** The facts of one request, as the wire wants them (ids as integers). */
class GroupState
{
    private $groups = array();
    private $memberships = array();
    private $users = array();
    private $feeds = array();
    private $inputs = array();

    public function group(array $row)
    {
        $id = (int) $row['id'];
        $this->groups[$id] = array(
            'id' => $id,
            'name' => $row['name'],
            'description' => $row['description'],
            'organization' => $row['organization'],
            'area' => $row['area'],
            'visibility' => $row['visibility'],
            'access' => $row['access'],
        );
    }

    /** A group known only by its id (enough for the rules that look at roles). */
    public function bareGroup($id)
    {
        if (!isset($this->groups[$id])) {
            $this->groups[$id] = array('id' => $id);
        }
    }

    public function membership(array $row)
    {
        if ($row['groupid'] === null || $row['userid'] === null || (int) $row['userid'] < 1) {
            return;
        }
        $m = array(
            'groupid' => (int) $row['groupid'],
            'userid' => (int) $row['userid'],
            'role' => (int) $row['role'],
            'admin_rights' => $row['admin_rights'] === null ? null : (string) $row['admin_rights'],
        );
        $this->memberships[] = $m;
    }

    public function user(array $row)
    {
        $id = (int) $row['id'];
        $u = array('id' => $id);
        foreach (array('username', 'name', 'email', 'bio', 'location', 'timezone') as $k) {
            if (array_key_exists($k, $row)) {
                $u[$k] = $row[$k] === null ? null : (string) $row[$k];
            }
        }
        $u['admin'] = isset($row['admin']) && (int) $row['admin'] === 1;
        if (isset($row['access']) && $row['access'] !== '') {
            $u['access'] = (int) $row['access'];
        }
        $u['tags'] = (isset($row['tags']) && $row['tags'] !== '') ? (string) $row['tags'] : null;
        $this->users[$id] = $u;
    }

    public function feed($row)
    {
        $row = is_object($row) ? get_object_vars($row) : $row;
        if (!is_array($row) || !isset($row['id'], $row['userid'])) {
            return;
        }
        $this->feeds[(int) $row['id']] = $row;
    }

    /** Feed rows that have an id and an owner (GroupHost::membersFeeds lists only those). */
    public function feeds(array $rows)
    {
        foreach ($rows as $row) {
            $this->feeds[(int) $row['id']] = $row;
        }
    }

    public function inputs($uid, $inputs)
    {
        $this->inputs[(int) $uid] = $inputs;
    }

    public function toArray()
    {
        $memberships = array();
        $seen = array();
        foreach ($this->memberships as $m) {
            $key = $m['groupid'] . '|' . $m['userid'] . '|' . $m['role'] . '|' . var_export($m['admin_rights'], true);
            // A row read twice (through its group and through its user) is sent once. Real
            // duplicate rows (B-27) are identical or not: identical ones the engine would merge
            // into one membership anyway, different ones are all sent and it keeps the weakest.
            if (isset($seen[$key])) {
                continue;
            }
            $seen[$key] = true;
            $memberships[] = $m;
        }
        $users = array();
        // Inputs as Input::get_inputs gave them: a member without inputs has `[]`, as in 2.0.0.
        foreach ($this->users as $id => $u) {
            if (isset($this->inputs[$id])) {
                $u['inputs'] = $this->inputs[$id];
            }
            $users[] = $u;
        }
        foreach ($this->inputs as $id => $inputs) {
            if (!isset($this->users[$id])) {
                $users[] = array('id' => $id, 'inputs' => $inputs);
            }
        }
        return array(
            'groups' => array_values($this->groups),
            'memberships' => $memberships,
            'users' => $users,
            'feeds' => array_values($this->feeds),
        );
    }
}
