<?php
/*
 * The demo host's "Admin → Update database": reads every module's $schema (emoncms's format,
 * group 2.0.0 §1.9) and creates missing tables, columns and indexes. Like emoncms it never drops
 * anything and creates MySQL tables as MyISAM (the group module converts its own two tables to
 * InnoDB on its first write).
 */
defined('EMONCMS_EXEC') or die('Restricted access');

function demo_schema_setup(DemoDb $db, array $schema)
{
    $done = array();
    $tables = $db->tables();
    foreach ($schema as $table => $columns) {
        if (!in_array($table, $tables, true)) {
            $done[] = $sql = demo_create_table_sql($db, $table, $columns);
            $db->exec($sql);
        } else {
            $have = $db->columns($table);
            foreach ($columns as $name => $spec) {
                if (!in_array($name, $have, true)) {
                    $done[] = $sql = 'ALTER TABLE ' . $db->quote($table) . ' ADD ' . demo_column_sql($db, $name, $spec, false);
                    $db->exec($sql);
                }
            }
        }
        foreach ($columns as $name => $spec) {
            if (!empty($spec['Index']) && !demo_index_exists($db, $table, "IX_{$table}_{$name}")) {
                $done[] = $sql = "CREATE INDEX IX_{$table}_{$name} ON " . $db->quote($table) . " ($name)";
                $db->exec($sql);
            }
        }
    }
    return $done;
}

function demo_index_exists(DemoDb $db, $table, $index)
{
    if ($db->driver === 'mysql') {
        return (bool) $db->rows('SHOW INDEX FROM `' . $table . '` WHERE Key_name = ?', array($index));
    }
    return (bool) $db->rows("SELECT name FROM sqlite_master WHERE type = 'index' AND name = ?", array($index));
}

function demo_create_table_sql(DemoDb $db, $table, array $columns)
{
    $parts = array();
    $keys = array();
    foreach ($columns as $name => $spec) {
        if (!empty($spec['Key'])) {
            $keys[] = $name;
        }
    }
    $single = count($keys) === 1;
    foreach ($columns as $name => $spec) {
        $parts[] = demo_column_sql($db, $name, $spec, $single && !empty($spec['Key']));
    }
    if ($keys && !($single && $db->driver === 'sqlite' && !empty($columns[$keys[0]]['Extra']))) {
        $parts[] = 'PRIMARY KEY (' . implode(', ', $keys) . ')';
    }
    $sql = 'CREATE TABLE ' . $db->quote($table) . ' (' . implode(', ', $parts) . ')';
    return $db->driver === 'mysql' ? $sql . ' ENGINE=MYISAM' : $sql;
}

function demo_column_sql(DemoDb $db, $name, array $spec, $primary)
{
    $type = strtolower($spec['type']);
    if ($db->driver === 'sqlite') {
        if (!empty($spec['Extra']) && $primary) {
            return "$name INTEGER PRIMARY KEY AUTOINCREMENT";
        }
        if (strpos($type, 'int') !== false) {
            $type = 'INTEGER';
        } elseif (strpos($type, 'float') !== false || strpos($type, 'double') !== false) {
            $type = 'REAL';
        } else {
            $type = 'TEXT';
        }
    }
    $sql = "$name $type";
    if (isset($spec['Null']) && ($spec['Null'] === false || $spec['Null'] === 'NO')) {
        $sql .= ' NOT NULL';
    }
    if (array_key_exists('default', $spec)) {
        $default = $spec['default'];
        $sql .= ' DEFAULT ' . (is_int($default) || is_float($default) ? $default : "'" . str_replace("'", "''", (string) $default) . "'");
    }
    if (!empty($spec['Extra']) && $db->driver === 'mysql') {
        $sql .= ' AUTO_INCREMENT';
    }
    return $sql;
}
