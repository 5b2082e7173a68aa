<?php
/*
 * The demo host's own database access (its User, Feed and Input models): prepared statements over
 * a PDO SQLite connection or an emoncms-style mysqli connection. The group module does not use
 * this class; it has its own adapter (Modules/group/group_db.php) on the same connection.
 */
defined('EMONCMS_EXEC') or die('Restricted access');

class DemoDb
{
    /** @var PDO|mysqli */
    public $conn;
    public $driver;

    public function __construct($conn)
    {
        $this->conn = $conn;
        $this->driver = $conn instanceof mysqli ? 'mysql' : 'sqlite';
    }

    /** Opens the connection $settings['sql'] describes: a PDO (SQLite) or a mysqli. */
    public static function open(array $sql)
    {
        if ($sql['driver'] === 'mysql') {
            mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
            $socket = $sql['socket'] !== '' ? $sql['socket'] : null;
            $host = $socket ? 'localhost' : $sql['server'];
            $conn = new mysqli($host, $sql['username'], $sql['password'], $sql['database'], $sql['port'], $socket);
            $conn->set_charset('utf8mb4');
            return $conn;
        }
        $dir = dirname($sql['sqlite']);
        if (!is_dir($dir)) {
            mkdir($dir, 0775, true);
        }
        $conn = new PDO('sqlite:' . $sql['sqlite'], null, null, array(
            PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
            PDO::ATTR_TIMEOUT => 20,
        ));
        $conn->exec('PRAGMA journal_mode = WAL');
        $conn->exec('PRAGMA synchronous = NORMAL');
        return $conn;
    }

    public function rows($sql, array $params = array())
    {
        if ($this->conn instanceof PDO) {
            $stmt = $this->conn->prepare($sql);
            $stmt->execute($params);
            return $stmt->fetchAll(PDO::FETCH_ASSOC);
        }
        $stmt = $this->conn->prepare($sql);
        if ($params) {
            $stmt->bind_param(str_repeat('s', count($params)), ...array_values($params));
        }
        $stmt->execute();
        $result = $stmt->get_result();
        $rows = $result ? $result->fetch_all(MYSQLI_ASSOC) : array();
        $stmt->close();
        return $rows;
    }

    public function row($sql, array $params = array())
    {
        $rows = $this->rows($sql, $params);
        return $rows ? $rows[0] : null;
    }

    public function run($sql, array $params = array())
    {
        if ($this->conn instanceof PDO) {
            $stmt = $this->conn->prepare($sql);
            $stmt->execute($params);
            return $stmt->rowCount();
        }
        $stmt = $this->conn->prepare($sql);
        if ($params) {
            $stmt->bind_param(str_repeat('s', count($params)), ...array_values($params));
        }
        $stmt->execute();
        $n = $stmt->affected_rows;
        $stmt->close();
        return $n;
    }

    public function exec($sql)
    {
        if ($this->conn instanceof PDO) {
            $this->conn->exec($sql);
        } else {
            $this->conn->query($sql);
        }
    }

    public function lastId()
    {
        return $this->conn instanceof PDO ? (int) $this->conn->lastInsertId() : (int) $this->conn->insert_id;
    }

    public function tables()
    {
        if ($this->driver === 'mysql') {
            return array_map(function ($r) { return array_values($r)[0]; }, $this->rows('SHOW TABLES'));
        }
        return array_column($this->rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"), 'name');
    }

    public function columns($table)
    {
        if ($this->driver === 'mysql') {
            return array_column($this->rows('SHOW COLUMNS FROM `' . $table . '`'), 'Field');
        }
        return array_column($this->rows('PRAGMA table_info("' . $table . '")'), 'name');
    }

    public function quote($name)
    {
        return $this->driver === 'mysql' ? '`' . $name . '`' : '"' . $name . '"';
    }
}
