<?php
/* The demo host's login form. */
defined('EMONCMS_EXEC') or die('Restricted access');
?>
<h2>Log in</h2>
<?php if ($message !== ''): ?><p class="alert"><?php echo htmlspecialchars($message); ?></p><?php endif; ?>
<form method="post" action="<?php echo $path; ?>user/login">
    <p><label>Username <input name="username" autofocus></label></p>
    <p><label>Password <input name="password" type="password"></label></p>
    <p><button type="submit">Log in</button></p>
</form>
<p>Demo logins are printed by <code>./dev.sh demo</code> (e.g. installer / installer).</p>
