<?php
/* The demo host's page frame: title, the menu (emoncms >= 10.5 format), the content. */
defined('EMONCMS_EXEC') or die('Restricted access');
$items = isset($menu['setup']['l2']) ? $menu['setup']['l2'] : array();
uasort($items, function ($a, $b) { return (isset($a['order']) ? $a['order'] : 0) <=> (isset($b['order']) ? $b['order'] : 0); });
?><!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Emoncms - <?php echo htmlspecialchars($route->controller); ?></title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; color: #222; }
nav { background: #1d8dbc; padding: 8px 16px; }
nav a { color: #fff; margin-right: 16px; text-decoration: none; }
main { padding: 16px 24px; max-width: 1100px; }
table { border-collapse: collapse; } td, th { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; }
.alert { background: #fdd; padding: 8px 12px; }
</style>
</head>
<body>
<nav id="menu">
<?php foreach ($items as $key => $item): ?>
    <a id="menu-<?php echo htmlspecialchars($key); ?>" href="<?php echo htmlspecialchars($path . $item['href']); ?>"><?php echo $item['name']; ?></a>
<?php endforeach; ?>
<?php if (!empty($session['read'])): ?>
    <a href="<?php echo $path; ?>user/view"><?php echo htmlspecialchars((string) $session['username']); ?></a>
    <a href="<?php echo $path; ?>user/logout">Log out</a>
<?php else: ?>
    <a href="<?php echo $path; ?>user/login">Log in</a>
<?php endif; ?>
</nav>
<main><?php echo $content; ?></main>
</body>
</html>
