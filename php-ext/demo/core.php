<?php
/*
 * The minimal emoncms core the group module needs, written for this demo from emoncms's
 * documented behaviour (group 2.0.0 §1): request helpers with 11.x semantics, routing, views,
 * hooks, schemas, menus, the controller call and a logger.
 */
defined('EMONCMS_EXEC') or die('Restricted access');

define('EMPTY_ROUTE', '#UNDEFINED#');

// --- request helpers (emoncms >= 11.2.3: a missing parameter is $default, i.e. null) ----------

function get($index, $error_if_missing = false, $default = null)
{
    if (!isset($_GET[$index])) {
        if ($error_if_missing) {
            header('Content-Type: text/plain');
            die("missing $index parameter");
        }
        return $default;
    }
    $value = $_GET[$index];
    return is_array($value) ? $value : stripslashes(rawurldecode($value));
}

function post($index, $error_if_missing = false, $default = null)
{
    if (!isset($_POST[$index])) {
        if ($error_if_missing) {
            header('Content-Type: text/plain');
            die("missing $index parameter");
        }
        return $default;
    }
    $value = $_POST[$index];
    if (is_array($value)) {
        return htmlspecialchars(json_encode($value));
    }
    return stripslashes(rawurldecode($value));
}

function prop($index, $error_if_missing = false, $default = null)
{
    if (isset($_GET[$index])) {
        $value = $_GET[$index];
    } elseif (isset($_POST[$index])) {
        $value = $_POST[$index];
    } else {
        if ($error_if_missing) {
            header('Content-Type: text/plain');
            die("missing $index parameter");
        }
        return $default;
    }
    return is_array($value) ? array_map('stripslashes', $value) : stripslashes($value);
}

// --- routing (§1.4) ---------------------------------------------------------------------------

class Route
{
    public $controller = '';
    public $action = '';
    public $subaction = '';
    public $subaction2 = '';
    public $format = 'html';
    public $method = 'GET';
    public $query = '';
    public $is_ajax = false;

    public function __construct($q, $method)
    {
        $q = trim((string) $q, '/');
        $q = preg_replace('/[^A-Za-z0-9.\/_-]/', '', $q);
        if (in_array($method, array('POST', 'DELETE', 'PUT'), true)) {
            $this->method = $method;
        }
        $this->query = isset($_SERVER['QUERY_STRING']) ? (string) $_SERVER['QUERY_STRING'] : '';
        $this->is_ajax = isset($_SERVER['HTTP_X_REQUESTED_WITH']) && strtolower($_SERVER['HTTP_X_REQUESTED_WITH']) === 'xmlhttprequest';
        if ($q === '') {
            return;
        }
        $parts = explode('/', $q);
        $last = count($parts) - 1;
        $dot = strpos($parts[$last], '.');
        if ($dot !== false) {
            $this->format = substr($parts[$last], $dot + 1);
            $parts[$last] = substr($parts[$last], 0, $dot);
        }
        $this->controller = isset($parts[0]) ? $parts[0] : '';
        $this->action = isset($parts[1]) ? $parts[1] : '';
        $this->subaction = isset($parts[2]) ? $parts[2] : '';
        $this->subaction2 = isset($parts[3]) ? $parts[3] : '';
    }
}

// --- views, hooks, schemas, menus ----------------------------------------------------------------

function view($filepath, array $args = array())
{
    global $path, $session, $route;
    extract($args);
    ob_start();
    include $filepath;
    return ob_get_clean();
}

function demo_modules()
{
    $modules = array();
    foreach (scandir('Modules') as $name) {
        if ($name[0] !== '.' && is_dir("Modules/$name")) {
            $modules[] = $name;
        }
    }
    return $modules;
}

/** Like emoncms: the first module (alphabetically) implementing the hook answers. */
function call_hook($hook, $args)
{
    foreach (demo_modules() as $module) {
        $file = "Modules/$module/{$module}_hooks.php";
        if (is_file($file)) {
            require $file;
            $function = "{$module}_{$hook}";
            if (function_exists($function)) {
                return $function($args);
            }
        }
    }
    return null;
}

function load_db_schema()
{
    $schema = array();
    foreach (demo_modules() as $module) {
        $file = "Modules/$module/{$module}_schema.php";
        if (is_file($file)) {
            require $file;
        }
    }
    return $schema;
}

/** The menu in emoncms >= 10.5 format: $menu['setup']['l2'][key] = name/href/order/icon. */
function load_menu()
{
    global $session;
    $menu = array('setup' => array('name' => 'Setup', 'order' => 1, 'icon' => 'menu', 'l2' => array()));
    foreach (demo_modules() as $module) {
        $file = "Modules/$module/{$module}_menu.php";
        if (is_file($file)) {
            require $file;
        }
    }
    return $menu;
}

// --- the controller call (§1.5) --------------------------------------------------------------------

function controller($name)
{
    $output = array('content' => EMPTY_ROUTE);
    if ($name !== '' && preg_match('/^[a-z0-9_]+$/', $name)) {
        $file = "Modules/$name/{$name}_controller.php";
        if (is_file($file)) {
            require_once $file;
            $function = "{$name}_controller";
            if (function_exists($function)) {
                $output = $function();
            }
        }
    }
    if (!is_array($output) || !isset($output['content'])) {
        $output = array('content' => $output);
    }
    return $output;
}

class EmonLogger
{
    private $file;

    public function __construct($file)
    {
        $this->file = basename($file);
    }

    public function info($message)
    {
        $this->write('INFO', $message);
    }

    public function warn($message)
    {
        $this->write('WARN', $message);
    }

    public function error($message)
    {
        $this->write('ERROR', $message);
    }

    private function write($level, $message)
    {
        global $settings;
        $line = date('Y-m-d H:i:s') . " $level {$this->file}: $message\n";
        @file_put_contents($settings['run'] . '/emoncms.log', $line, FILE_APPEND);
    }
}
