<?php
/*
 * PHP's built-in web server in front of a real emoncms tree: what emoncms's .htaccess does under
 * Apache. Existing files that are not PHP are served as they are (the module's page assets and
 * its WebAssembly engine among them); every other path becomes `index.php?q=<path>`.
 *
 *   php -S 127.0.0.1:PORT -t EMONCMS_TREE host-tests/emoncms/router.php
 *
 * Test and demo infrastructure only: an operator runs emoncms under Apache or nginx.
 */
$root = $_SERVER['DOCUMENT_ROOT'];
$uri = (string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$path = ltrim(rawurldecode($uri), '/');

if ($path !== '' && strpos($path, '..') === false) {
    $file = $root . '/' . $path;
    if (is_file($file) && !preg_match('/\.php$/i', $file)) {
        $types = array(
            'js' => 'text/javascript', 'mjs' => 'text/javascript', 'css' => 'text/css', 'wasm' => 'application/wasm',
            'json' => 'application/json', 'svg' => 'image/svg+xml', 'png' => 'image/png', 'ico' => 'image/x-icon',
            'html' => 'text/html; charset=utf-8', 'woff' => 'font/woff', 'woff2' => 'font/woff2', 'ttf' => 'font/ttf',
            'gif' => 'image/gif', 'jpg' => 'image/jpeg', 'map' => 'application/json', 'txt' => 'text/plain',
        );
        $ext = strtolower(pathinfo($file, PATHINFO_EXTENSION));
        // The validators Apache sends with every static file by default (Last-Modified, and an
        // ETag of size and mtime), and its 304 to a request that has the same copy: a browser
        // keeps and reuses these files as it would from Apache (without them it fetched every
        // file again on every page, and kept no compiled code of the engine's .wasm).
        $mtime = filemtime($file);
        $size = filesize($file);
        $etag = sprintf('"%x-%x"', $size, $mtime);
        header('Last-Modified: ' . gmdate('D, d M Y H:i:s', $mtime) . ' GMT');
        header('ETag: ' . $etag);
        $match = isset($_SERVER['HTTP_IF_NONE_MATCH']) ? trim($_SERVER['HTTP_IF_NONE_MATCH']) : null;
        $since = isset($_SERVER['HTTP_IF_MODIFIED_SINCE']) ? strtotime($_SERVER['HTTP_IF_MODIFIED_SINCE']) : false;
        if ($match !== null ? in_array($etag, array_map('trim', explode(',', $match)), true) || $match === '*'
            : ($since !== false && $since >= $mtime)) {
            http_response_code(304);
            return true;
        }
        header('Content-Type: ' . (isset($types[$ext]) ? $types[$ext] : 'application/octet-stream'));
        header('Content-Length: ' . $size);
        readfile($file);
        return true;
    }
}

$_GET['q'] = $path;
$_REQUEST['q'] = $path;
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $root . '/index.php';
if (!isset($_SERVER['SERVER_ADDR'])) {
    $_SERVER['SERVER_ADDR'] = '127.0.0.1';
}
chdir($root);
// Tests only: a file named by the server's environment runs first (host-tests/emoncms/probe.php
// reports how many statements the module ran). Never part of the module.
$prepend = getenv('EMONGROUPS_TEST_PREPEND');
if (is_string($prepend) && $prepend !== '' && is_file($prepend)) {
    require $prepend;
}
require $root . '/index.php';
