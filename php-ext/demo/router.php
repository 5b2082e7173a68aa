<?php
/*
 * Router for PHP's built-in server: static files (the module's assets) are served as they are,
 * everything else goes to index.php?q=<path>, as emoncms's rewrite rules do.
 */
$uri = urldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
$file = __DIR__ . $uri;
if ($uri !== '/' && is_file($file) && !preg_match('/\.php$/', $file)) {
    return false;
}
if (!isset($_SERVER['SERVER_ADDR'])) {
    $_SERVER['SERVER_ADDR'] = '127.0.0.1';
}
$_GET['q'] = ltrim($uri, '/');
require __DIR__ . '/index.php';
