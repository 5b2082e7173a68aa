<?php
/*
 * The demo host's Input model: get_inputs() as emoncms answers it (node → name → input).
 */
defined('EMONCMS_EXEC') or die('Restricted access');

class Input
{
    private $db;

    public function __construct($conn, $redis, $feed)
    {
        $this->db = new DemoDb($conn);
    }

    public function get_inputs($userid)
    {
        $inputs = array();
        foreach ($this->db->rows('SELECT id, nodeid, name, processList FROM input WHERE userid = ? ORDER BY id', array((int) $userid)) as $row) {
            $inputs[$row['nodeid']][$row['name']] = array('id' => (int) $row['id'], 'processList' => (string) $row['processList']);
        }
        return $inputs;
    }
}
