<?php
/*
 * emongroups — the group module's only database access: one small adapter over emoncms's
 * mysqli connection (MySQL / MariaDB), the database emoncms itself runs on.
 *
 * Prepared statements only. The table `groups` is a reserved word in MySQL >= 8.0.2, so every
 * query names it through table('groups'). Statements are counted (GroupDb::$total, a plain
 * counter over the whole request), so tests can assert how many queries a route costs.
 */
defined('EMONCMS_EXEC') or die('Restricted access');

class GroupDbFailure extends RuntimeException
{
}

class GroupDb
{
    /** @var mysqli */
    private $conn;
    private $inTransaction = false;
    /** Statements executed through this adapter. */
    private $statements = 0;
    /** Statements executed through every adapter of this request (PHP process). */
    public static $total = 0;
    /** Statements the facts of the last route took (set by Group::route). */
    public static $factQueries = 0;
    /** The named lock every group write holds (MyISAM and InnoDB alike). */
    const WRITE_LOCK = 'emongroups_write';
    private $locked = false;

    public function __construct($conn)
    {
        if (!$conn instanceof mysqli) {
            throw new GroupDbFailure('the group module needs emoncms\'s mysqli connection');
        }
        $this->conn = $conn;
    }

    /** A table name quoted (`groups` is reserved in MySQL >= 8.0.2). */
    public function table($name)
    {
        return '`' . $name . '`';
    }

    /** ' FOR UPDATE' inside a transaction. */
    public function forUpdate()
    {
        return $this->inTransaction ? ' FOR UPDATE' : '';
    }

    /** `?, ?, ?` for an IN list of $n values ($n >= 1). */
    public static function marks($n)
    {
        return implode(', ', array_fill(0, max(1, (int) $n), '?'));
    }

    public function statementCount()
    {
        return $this->statements;
    }

    public function inTransaction()
    {
        return $this->inTransaction;
    }

    /** Runs a SELECT; every row as an associative array. */
    public function select($sql, array $params = array())
    {
        $this->statements++;
        self::$total++;
        $stmt = $this->mysqliStatement($sql, $params);
        $result = $stmt->get_result();
        if ($result === false) {
            $error = $stmt->error;
            $stmt->close();
            throw new GroupDbFailure("query failed: $error");
        }
        $rows = $result->fetch_all(MYSQLI_ASSOC);
        $stmt->close();
        return $rows;
    }

    /**
     * A SELECT without parameters through mysqli::query, so that every value comes back as a
     * string exactly as emoncms's own models read them ($sql must contain no outside text).
     */
    public function selectText($sql)
    {
        $this->statements++;
        self::$total++;
        $result = $this->conn->query($sql);
        if ($result === false) {
            throw new GroupDbFailure('query failed: ' . $this->conn->error);
        }
        $rows = $result->fetch_all(MYSQLI_ASSOC);
        $result->free();
        return $rows;
    }

    /** Runs an INSERT/UPDATE/DELETE; the number of affected rows. */
    public function execute($sql, array $params = array())
    {
        $this->statements++;
        self::$total++;
        $stmt = $this->mysqliStatement($sql, $params);
        $affected = $stmt->affected_rows;
        $stmt->close();
        return $affected;
    }

    /** Runs a statement that takes no parameters and returns no rows (DDL, transaction control). */
    public function command($sql)
    {
        $this->statements++;
        self::$total++;
        if ($this->conn->query($sql) === false) {
            throw new GroupDbFailure('statement failed: ' . $this->conn->error);
        }
    }

    public function lastInsertId()
    {
        return (int) $this->conn->insert_id;
    }

    /**
     * Starts the transaction of one request: READ COMMITTED, so that every read after the row
     * lock sees what concurrent requests committed.
     */
    public function begin()
    {
        if ($this->inTransaction) {
            return;
        }
        $this->command('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
        $this->command('START TRANSACTION');
        $this->inTransaction = true;
    }

    public function commit()
    {
        if (!$this->inTransaction) {
            return;
        }
        $this->inTransaction = false;
        $this->command('COMMIT');
    }

    /** Never throws: it runs while another failure is being reported. */
    public function rollback()
    {
        if (!$this->inTransaction) {
            return;
        }
        $this->inTransaction = false;
        try {
            $this->command('ROLLBACK');
        } catch (Throwable $e) {
            error_log('emongroups: rollback failed: ' . $e->getMessage());
        }
    }

    /**
     * Serialises group writes: MariaDB's named lock, taken before a write route reads its facts
     * and released after its changes, so two requests never decide on the same facts. Works
     * whatever the tables' engine (MyISAM has no row locks).
     */
    public function lock($timeout = 10)
    {
        if ($this->locked) {
            return;
        }
        $rows = $this->select('SELECT GET_LOCK(?, ?) AS got', array(self::WRITE_LOCK, (int) $timeout));
        if (!$rows || (int) $rows[0]['got'] !== 1) {
            throw new GroupDbFailure('another group change is still running (lock ' . self::WRITE_LOCK . ' not free)');
        }
        $this->locked = true;
    }

    /**
     * The write lock if it is free right now (no wait): true when taken. A reader uses it to
     * tell a crashed change's journal row (lock free) from a running change's (lock held).
     */
    public function tryLock()
    {
        if ($this->locked) {
            return true;
        }
        $rows = $this->select('SELECT GET_LOCK(?, 0) AS got', array(self::WRITE_LOCK));
        $this->locked = $rows && (int) $rows[0]['got'] === 1;
        return $this->locked;
    }

    /** MariaDB's "table doesn't exist" (ER_NO_SUCH_TABLE), as mysqli reports it either way. */
    public static function isMissingTable(Throwable $e)
    {
        return (int) $e->getCode() === 1146;
    }

    /** Never throws: it runs after the answer is decided. */
    public function unlock()
    {
        if (!$this->locked) {
            return;
        }
        $this->locked = false;
        try {
            $this->select('SELECT RELEASE_LOCK(?) AS released', array(self::WRITE_LOCK));
        } catch (Throwable $e) {
            error_log('emongroups: releasing the write lock failed: ' . $e->getMessage());
        }
    }

    private function mysqliStatement($sql, array $params)
    {
        $stmt = $this->conn->prepare($sql);
        if ($stmt === false) {
            throw new GroupDbFailure('prepare failed: ' . $this->conn->error, (int) $this->conn->errno);
        }
        if ($params) {
            $types = '';
            $values = array();
            foreach ($params as $value) {
                if (is_int($value)) {
                    $types .= 'i';
                } elseif (is_float($value)) {
                    $types .= 'd';
                } else {
                    $types .= 's';
                }
                $values[] = $value;
            }
            $stmt->bind_param($types, ...$values);
        }
        if (!$stmt->execute()) {
            $error = $stmt->error;
            $errno = (int) $stmt->errno;
            $stmt->close();
            throw new GroupDbFailure("statement failed: $error", $errno);
        }
        return $stmt;
    }
}
