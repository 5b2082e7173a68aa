<?php
/*
 * The demo host's Feed model, with emoncms 11.x's interface (group 2.0.0 §4): get_user_feeds,
 * get, exist and the 12-parameter get_data. Datapoints live in the feed_data table.
 */
defined('EMONCMS_EXEC') or die('Restricted access');

class Feed
{
    private $db;
    private $settings;

    public function __construct($conn, $redis, $settings)
    {
        $this->db = new DemoDb($conn);
        $this->settings = is_array($settings) ? $settings : array();
    }

    private static function row(array $r)
    {
        return array(
            'id' => (int) $r['id'], 'userid' => (int) $r['userid'], 'name' => $r['name'], 'tag' => $r['tag'],
            'public' => (int) $r['public'], 'size' => (int) $r['size'], 'engine' => (int) $r['engine'],
            'unit' => (string) $r['unit'],
            'time' => $r['time'] === null ? null : (int) $r['time'],
            'value' => $r['value'] === null ? null : (float) $r['value'],
        );
    }

    public function get_user_feeds($userid, $getmeta = 0)
    {
        $rows = $this->db->rows('SELECT id, userid, name, tag, public, size, engine, unit, time, value FROM feeds '
            . 'WHERE userid = ? ORDER BY id', array((int) $userid));
        return array_map(array('Feed', 'row'), $rows);
    }

    public function exist($feedid)
    {
        return (bool) $this->db->row('SELECT id FROM feeds WHERE id = ?', array((int) $feedid));
    }

    public function get($feedid)
    {
        $r = $this->db->row('SELECT id, userid, name, tag, public, size, engine, unit, time, value FROM feeds WHERE id = ?',
            array((int) $feedid));
        return $r ? self::row($r) : array('success' => false, 'message' => 'Feed does not exist');
    }

    /** emoncms 11.x: times in ms (seconds accepted); interval in seconds or daily/weekly/monthly/annual. */
    public function get_data($feedid, $start, $end, $interval, $average = 0, $timezone = 'UTC', $timeformat = 'unixms',
                             $csv = false, $skipmissing = 0, $limitinterval = 0, $delta = false, $dp = -1)
    {
        $feedid = (int) $feedid;
        if (!$this->exist($feedid)) {
            return array('success' => false, 'message' => 'Feed does not exist');
        }
        $start = (float) $start;
        $end = (float) $end;
        $start = (int) ($start > 1e10 ? $start / 1000 : $start);
        $end = (int) ($end > 1e10 ? $end / 1000 : $end);
        if ($end <= $start) {
            return array('success' => false, 'message' => 'Request end time before start time');
        }
        try {
            $zone = new DateTimeZone((string) $timezone);
        } catch (Exception $e) {
            $zone = new DateTimeZone('UTC');
        }
        $calendar = in_array($interval, array('daily', 'weekly', 'monthly', 'annual'), true) ? $interval : null;
        $step = $calendar ? 0 : max(1, (int) $interval);
        $max = isset($this->settings['max_datapoints']) ? (int) $this->settings['max_datapoints'] : 8928;
        if (!$calendar && ($end - $start) / $step > $max) {
            $n = (int) round(($end - $start) / $step);
            return array('success' => false, 'message' => "Request datapoint limit reached ($max), increase request interval or time range, requested datapoints = $n");
        }
        $points = $this->db->rows('SELECT time, value FROM feed_data WHERE feedid = ? AND time >= ? AND time < ? ORDER BY time',
            array($feedid, $start, $end));

        $buckets = array();
        foreach ($points as $p) {
            $t = (int) $p['time'];
            $key = $calendar ? self::calendarStart($t, $calendar, $zone) : $start + intdiv($t - $start, $step) * $step;
            $buckets[$key][] = (float) $p['value'];
        }
        $times = array();
        if ($calendar) {
            $times = array_keys($buckets);
        } else {
            for ($t = $start; $t < $end; $t += $step) {
                $times[] = $t;
            }
        }
        $data = array();
        foreach ($times as $t) {
            if (isset($buckets[$t])) {
                $values = $buckets[$t];
                $value = ($average || $calendar) ? array_sum($values) / count($values) : $values[0];
            } else {
                if ($skipmissing) {
                    continue;
                }
                $value = null;
            }
            $data[] = array($timeformat === 'unix' ? $t : $t * 1000, $value);
        }
        return $data;
    }

    private static function calendarStart($t, $mode, DateTimeZone $zone)
    {
        $d = (new DateTime('@' . $t))->setTimezone($zone);
        switch ($mode) {
            case 'weekly':
                $d->modify('monday this week');
                break;
            case 'monthly':
                $d->modify('first day of this month');
                break;
            case 'annual':
                $d->setDate((int) $d->format('Y'), 1, 1);
                break;
        }
        $d->setTime(0, 0);
        return $d->getTimestamp();
    }
}
