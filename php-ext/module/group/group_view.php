<?php
/*
 * emongroups — the group page (drop-in for the group 2.0.0 page, §6.1 of the compatibility spec):
 * groups, members with feed ages, create / edit / delete, add / create / edit / remove members,
 * log in as a member, CSV export, search, and the access preview (issue 5): the emongroups engine
 * in WebAssembly previews who gains or loses what before a change is saved.
 *
 * The markup is here; group.js (an ES module, no jQuery) drives it. The element ids the old
 * Selenium tests used are kept (#groupcreate, #group-create-name, #addmember, .setuser, …).
 */
defined('EMONCMS_EXEC') or die('Restricted access');

global $path, $session;
$group_version = '3.0.0';
$group_base = $path . 'Modules/group/';
$group_config = array(
    'path' => (string) $path,
    'base' => $group_base,
    // The WebAssembly package (copied from wasm/pkg by scripts/group-wasm.sh; see the README).
    'wasm' => $group_base . 'lib/',
    'userid' => isset($session['userid']) ? (int) $session['userid'] : 0,
    'username' => isset($session['username']) ? (string) $session['username'] : '',
    'admin' => !empty($session['admin']),
    'read' => !empty($session['read']),
    'write' => !empty($session['write']),
    // The session's request token, sent with every change (group_controller.php).
    'csrf' => function_exists('group_csrf_token') ? group_csrf_token() : '',
    // grouplist's answer, which the controller had the engine make to decide whether to show the
    // page (group.js shows it instead of asking for it again).
    'groups' => isset($group_list) && is_array($group_list) ? $group_list : null,
);
// The texts group.js shows, through gettext like the markup's: group.js's t() looks each one up
// by its English text ({name} marks a value it fills in).
$group_config['text'] = array(
    ' — you' => _(' — you'),
    '(no grouping)' => _('(no grouping)'),
    'Access' => _('Access'),
    'Access preview unavailable.' => _('Access preview unavailable.'),
    'Access preview unavailable: {error}' => _('Access preview unavailable: {error}'),
    'Area' => _('Area'),
    'Computed in your browser by the emongroups engine from what you may see of this group. Hover or focus a cell for the reason.' => _('Computed in your browser by the emongroups engine from what you may see of this group. Hover or focus a cell for the reason.'),
    'Download CSV ({n} feed)' => _('Download CSV ({n} feed)'),
    'Download CSV ({n} feeds)' => _('Download CSV ({n} feeds)'),
    'Download CSV of selected feeds' => _('Download CSV of selected feeds'),
    'Edit' => _('Edit'),
    'Edit user' => _('Edit user'),
    'Edit {username}' => _('Edit {username}'),
    'Feeds {ids}' => _('Feeds {ids}'),
    'Log in as' => _('Log in as'),
    'Log in as {username}' => _('Log in as {username}'),
    'Members' => _('Members'),
    'Network error: {error}' => _('Network error: {error}'),
    'No access preview.' => _('No access preview.'),
    'No access preview: {error}' => _('No access preview: {error}'),
    'No member matches.' => _('No member matches.'),
    'Organization' => _('Organization'),
    'Preview failed: {error}' => _('Preview failed: {error}'),
    'Remove' => _('Remove'),
    'Remove user' => _('Remove user'),
    'Show all {n} members' => _('Show all {n} members'),
    'Show the first {n} members' => _('Show the first {n} members'),
    'The passwords do not match' => _('The passwords do not match'),
    'The start must be before the end' => _('The start must be before the end'),
    'Visibility' => _('Visibility'),
    'What changes in access' => _('What changes in access'),
    'You are in no group yet.' => _('You are in no group yet.'),
    'Your role' => _('Your role'),
    'failed' => _('failed'),
    'never' => _('never'),
    'no snapshot' => _('no snapshot'),
    'the answer is not JSON' => _('the answer is not JSON'),
    '{n} feed' => _('{n} feed'),
    '{n} feeds' => _('{n} feeds'),
    '… and {n} more: type more of the name' => _('… and {n} more: type more of the name'),
);
$group_roles = array(0 => _('Passive member'), 1 => _('Administrator'), 2 => _('Sub-administrator'), 3 => _('Member'), 4 => _('Observer'));

if (!function_exists('group_view_role_options')) {
    /** <option>s of the role select, $selected preselected. */
    function group_view_role_options($roles, $selected)
    {
        $html = '';
        foreach ($roles as $code => $name) {
            $html .= '<option value="' . $code . '"' . ($code === $selected ? ' selected' : '') . '>' . htmlspecialchars($name) . '</option>';
        }
        return $html;
    }
}

if (!function_exists('group_view_group_fields')) {
    /** The description, organization, area, visibility and access fields of the create and edit
     *  group dialogs; $form names the dialog (`create`, `edit`) in the element ids. */
    function group_view_group_fields($form)
    {
        $id = 'group-' . $form . '-';
        $html = '';
        foreach (array('description' => 256, 'organization' => 64, 'area' => 64) as $name => $max) {
            $html .= '<label for="' . $id . $name . '">' . ucfirst($name) . '</label>'
                . '<input id="' . $id . $name . '" name="' . $name . '" maxlength="' . $max . '">';
        }
        foreach (array('visibility' => array('private', 'public'), 'access' => array('closed', 'open')) as $name => $values) {
            $html .= '<label for="' . $id . $name . '">' . ucfirst($name) . '</label>'
                . '<select id="' . $id . $name . '" name="' . $name . '">';
            foreach ($values as $value) {
                $html .= '<option value="' . $value . '">' . $value . '</option>';
            }
            $html .= '</select>';
        }
        return $html;
    }
}
?>
<link rel="stylesheet" href="<?php echo htmlspecialchars($group_base); ?>group.css?v=<?php echo $group_version; ?>">
<script>
    // 2.0.0's globals, for pages and scripts that read them.
    var my_userid = <?php echo (int) $group_config['userid']; ?>;
    var task_support = false;
    window.GROUP_CONFIG = <?php echo json_encode($group_config, JSON_UNESCAPED_SLASHES | JSON_HEX_TAG | JSON_HEX_AMP); ?>;
    // The group named in the address, when the list says the viewer is staff there: its member
    // list and snapshot (megabytes each, the page's longest requests) are asked for now, while
    // the page's scripts load, not once group.js runs; group.js takes them (GROUP_CONFIG.early).
    (function (cfg) {
        var name, groups = cfg.groups || [], i, g, q;
        try { name = decodeURIComponent(location.hash.replace(/^#/, "")); } catch (e) { return; }
        for (i = 0; i < groups.length; i++) {
            g = groups[i];
            if (g.name !== name || (g.role !== 1 && g.role !== 2) || !window.fetch) continue;
            q = "?groupid=" + encodeURIComponent(g.groupid);
            cfg.early = {
                groupid: g.groupid,
                userlist: fetch(cfg.path + "group/userlist.json" + q, { credentials: "same-origin",
                    headers: { Accept: "application/json", "X-Emongroups-Csrf": cfg.csrf || "" } }),
                snapshot: fetch(cfg.path + "group/snapshot.json" + q, { credentials: "same-origin" })
            };
            cfg.early.userlist["catch"](function () {});
            cfg.early.snapshot["catch"](function () {});
            return;
        }
    })(window.GROUP_CONFIG);
</script>

<div id="group-page" class="eg">
    <aside class="eg-side" aria-label="<?php echo htmlspecialchars(_('Groups')); ?>">
        <h2 class="eg-h"><?php echo _('Groups'); ?></h2>
        <div class="eg-search">
            <label for="group-search" class="eg-sr"><?php echo _('Search members in all your groups'); ?></label>
            <input id="group-search" type="search" class="input-medium search-query" placeholder="<?php echo htmlspecialchars(_('Search members…')); ?>" autocomplete="off">
            <div id="group-search-results" aria-live="polite"></div>
        </div>
        <ul id="group-list" class="nav nav-list"><li class="muted"><?php echo _('Loading…'); ?></li></ul>
        <button type="button" id="groupcreate" class="btn btn-primary"><span aria-hidden="true">+</span> <?php echo _('New group'); ?></button>
    </aside>

    <div class="eg-main">
        <div id="group-message" class="eg-snackbar" role="status" aria-live="polite"></div>
        <div id="group-none" class="eg-empty">
            <p><?php echo _('Select a group on the left, or create one.'); ?></p>
        </div>

        <section id="group-selected" hidden aria-labelledby="groupname">
            <header class="eg-group-head">
                <div>
                    <h2 id="groupname"></h2>
                    <p id="groupdescription" class="muted"></p>
                    <p id="group-details" class="eg-details"></p>
                </div>
                <div class="btn-toolbar eg-actions" id="group-actions">
                    <button type="button" id="addmember" class="btn" data-admin><?php echo _('Add member'); ?></button>
                    <button type="button" id="createuseraddtogroup" class="btn" data-admin><?php echo _('Create user'); ?></button>
                    <button type="button" id="groupedit" class="btn" data-admin><?php echo _('Edit group'); ?></button>
                    <button type="button" id="deletegroup" class="btn btn-danger" data-admin><?php echo _('Delete group'); ?></button>
                </div>
            </header>

            <div id="group-members-area" hidden>
                <div class="eg-toolbar">
                    <h3 class="eg-h"><?php echo _('Members'); ?> <small id="group-member-count" class="muted"></small></h3>
                    <label><?php echo _('Group by tag'); ?>
                        <select id="group-tag-grouping" class="input-medium"><option value=""><?php echo _('(no grouping)'); ?></option></select>
                    </label>
                    <button type="button" id="group-csv" class="btn" disabled><?php echo _('Download CSV of selected feeds'); ?></button>
                    <span class="eg-legend" aria-label="<?php echo htmlspecialchars(_('Feed age colours')); ?>">
                        <span class="eg-age eg-age-1"><?php echo _('&lt; 25 s'); ?></span>
                        <span class="eg-age eg-age-2"><?php echo _('&lt; 60 s'); ?></span>
                        <span class="eg-age eg-age-3"><?php echo _('&lt; 2 h'); ?></span>
                        <span class="eg-age eg-age-4"><?php echo _('older'); ?></span>
                    </span>
                </div>
                <table id="group-members" class="table table-condensed eg-members">
                    <thead><tr><th scope="col"><?php echo _('Member'); ?></th><th scope="col"><?php echo _('Role'); ?></th><th scope="col"><?php echo _('Rights'); ?></th><th scope="col"><?php echo _('Feeds'); ?></th><th scope="col"><?php echo _('Last update'); ?></th><th scope="col"><span class="eg-sr"><?php echo _('Actions'); ?></span></th></tr></thead>
                </table>

                <section id="group-access" class="eg-access" aria-labelledby="group-access-title">
                    <h3 class="eg-h" id="group-access-title"><?php echo _('Access'); ?></h3>
                    <p id="group-access-status" class="muted"><?php echo _('Computed in your browser by the emongroups engine from what you may see of this group.'); ?></p>
                    <div id="group-access-body" hidden>
                        <h4><?php echo _('What each member can do with the group'); ?></h4>
                        <div class="eg-scroll"><table id="group-matrix-group" class="table table-condensed eg-matrix" aria-label="<?php echo htmlspecialchars(_('What each member can do with the group')); ?>"></table></div>
                        <h4><label for="group-viewas"><?php echo _('View as'); ?></label>
                            <select id="group-viewas" class="input-large"></select></h4>
                        <div class="eg-scroll"><table id="group-matrix-viewas" class="table table-condensed eg-matrix" aria-label="<?php echo htmlspecialchars(_('What the chosen member can do to each member')); ?>"></table></div>
                        <button type="button" id="group-matrix-more" class="btn btn-small" hidden></button>
                    </div>
                </section>
            </div>
            <p id="group-nolist" class="muted" hidden><?php echo _('Your role in this group does not show its members.'); ?></p>
        </section>
    </div>

    <!-- Dialogs: native <dialog> (focus stays inside, Escape closes). -->
    <dialog id="group-create-modal" class="eg-modal" aria-labelledby="group-create-title">
        <form method="dialog" class="eg-form" data-form="create">
            <div class="modal-header"><h3 id="group-create-title"><?php echo _('New group'); ?></h3></div>
            <div class="modal-body">
                <label for="group-create-name"><?php echo _('Name'); ?></label>
                <input id="group-create-name" name="name" required maxlength="64" autocomplete="off">
                <p class="help-block"><?php echo _('Letters, digits, _ - and : only; other characters are removed.'); ?></p>
                <?php echo group_view_group_fields('create'); ?>
                <p class="eg-error text-error" role="alert"></p>
            </div>
            <div class="modal-footer">
                <button type="button" class="btn" data-close><?php echo _('Cancel'); ?></button>
                <button type="submit" id="group-create-action" class="btn btn-primary" value="save"><?php echo _('Create'); ?></button>
            </div>
        </form>
    </dialog>

    <dialog id="group-edit-modal" class="eg-modal" aria-labelledby="group-edit-title">
        <form method="dialog" class="eg-form" data-form="editgroup">
            <div class="modal-header"><h3 id="group-edit-title"><?php echo _('Edit group'); ?></h3></div>
            <div class="modal-body">
                <label for="group-edit-name"><?php echo _('Name'); ?></label>
                <input id="group-edit-name" name="name" required maxlength="64" autocomplete="off">
                <?php echo group_view_group_fields('edit'); ?>
                <p class="eg-error text-error" role="alert"></p>
            </div>
            <div class="modal-footer">
                <button type="button" class="btn" data-close><?php echo _('Cancel'); ?></button>
                <button type="submit" id="group-edit-action" class="btn btn-primary" value="save"><?php echo _('Save'); ?></button>
            </div>
        </form>
    </dialog>

    <dialog id="group-addmember-modal" class="eg-modal" aria-labelledby="group-addmember-title">
        <form method="dialog" class="eg-form" data-form="addmember">
            <div class="modal-header"><h3 id="group-addmember-title"><?php echo _('Add member'); ?></h3></div>
            <div class="modal-body">
                <p class="muted"><?php echo _('An existing account: its owner\'s username and password.'); ?></p>
                <label for="group-addmember-username"><?php echo _('Username'); ?></label>
                <input id="group-addmember-username" name="username" required autocomplete="off">
                <label for="group-addmember-password"><?php echo _('Password'); ?></label>
                <input id="group-addmember-password" name="password" type="password" required autocomplete="off">
                <label for="group-addmember-access"><?php echo _('Role'); ?></label>
                <select id="group-addmember-access" name="role" data-preview><?php echo group_view_role_options($group_roles, 0); ?></select>
                <label for="group-addmember-rights"><?php echo _('Rights over the account'); ?></label>
                <select id="group-addmember-rights" name="admin_rights" data-preview><option value="full"><?php echo _('full (log in as, edit, delete)'); ?></option><option value="read"><?php echo _('read (data only)'); ?></option></select>
                <section class="eg-preview" aria-live="polite" aria-label="<?php echo htmlspecialchars(_('Access preview')); ?>"></section>
                <p class="eg-error text-error" role="alert"></p>
            </div>
            <div class="modal-footer">
                <button type="button" class="btn" data-close><?php echo _('Cancel'); ?></button>
                <button type="submit" id="group-addmember-action" class="btn btn-primary" value="save"><?php echo _('Save'); ?></button>
            </div>
        </form>
    </dialog>

    <dialog id="group-createuseraddtogroup-modal" class="eg-modal" aria-labelledby="group-createuser-title">
        <form method="dialog" class="eg-form" data-form="createuser">
            <div class="modal-header"><h3 id="group-createuser-title"><?php echo _('Create user and add to group'); ?></h3></div>
            <div class="modal-body">
                <label for="group-createuseraddtogroup-name"><?php echo _('Name'); ?></label>
                <input id="group-createuseraddtogroup-name" name="name" autocomplete="off">
                <label for="group-createuseraddtogroup-email"><?php echo _('E-mail'); ?></label>
                <input id="group-createuseraddtogroup-email" name="email" type="email" required autocomplete="off">
                <label for="group-createuseraddtogroup-username"><?php echo _('Username'); ?></label>
                <input id="group-createuseraddtogroup-username" name="username" required autocomplete="off">
                <label for="group-createuseraddtogroup-password"><?php echo _('Password'); ?></label>
                <input id="group-createuseraddtogroup-password" name="password" type="password" required autocomplete="new-password">
                <label for="group-createuseraddtogroup-password-confirm"><?php echo _('Confirm password'); ?></label>
                <input id="group-createuseraddtogroup-password-confirm" type="password" required autocomplete="new-password">
                <label for="group-createuseraddtogroup-role"><?php echo _('Role'); ?></label>
                <select id="group-createuseraddtogroup-role" name="role" data-preview><?php echo group_view_role_options($group_roles, 0); ?></select>
                <section class="eg-preview" aria-live="polite" aria-label="<?php echo htmlspecialchars(_('Access preview')); ?>"></section>
                <p class="eg-error text-error" role="alert"></p>
            </div>
            <div class="modal-footer">
                <button type="button" class="btn" data-close><?php echo _('Cancel'); ?></button>
                <button type="submit" id="group-createuseraddtogroup-action" class="btn btn-primary" value="save"><?php echo _('Save'); ?></button>
            </div>
        </form>
    </dialog>

    <dialog id="group-edituser-modal" class="eg-modal eg-modal-wide" aria-labelledby="group-edituser-title">
        <form method="dialog" class="eg-form" data-form="edituser">
            <div class="modal-header"><h3 id="group-edituser-title"><?php echo _('Edit user'); ?></h3></div>
            <div class="modal-body eg-two">
                <div>
                    <label for="group-edituser-username"><?php echo _('Username'); ?></label>
                    <input id="group-edituser-username" name="username" autocomplete="off">
                    <label for="group-edituser-name"><?php echo _('Name'); ?></label>
                    <input id="group-edituser-name" name="name" autocomplete="off">
                    <label for="group-edituser-email"><?php echo _('E-mail'); ?></label>
                    <input id="group-edituser-email" name="email" type="email" autocomplete="off">
                    <label for="group-edituser-location"><?php echo _('Location'); ?></label>
                    <input id="group-edituser-location" name="location">
                    <label for="group-edituser-timezone"><?php echo _('Timezone'); ?></label>
                    <input id="group-edituser-timezone" name="timezone">
                    <label for="group-edituser-bio"><?php echo _('Bio'); ?></label>
                    <textarea id="group-edituser-bio" name="bio" rows="2"></textarea>
                    <label for="group-edituser-tags"><?php echo _('Tags (JSON object)'); ?></label>
                    <input id="group-edituser-tags" name="tags" autocomplete="off">
                    <label for="group-edituser-password"><?php echo _('New password'); ?></label>
                    <input id="group-edituser-password" name="password" type="password" autocomplete="new-password" aria-describedby="group-edituser-password-help">
                    <p id="group-edituser-password-help" class="help-block"><?php echo _('Leave empty to keep the current password.'); ?></p>
                </div>
                <div>
                    <label for="group-edituser-role"><?php echo _('Role'); ?></label>
                    <select id="group-edituser-role" name="role" data-preview><?php echo group_view_role_options($group_roles, -1); ?></select>
                    <label for="group-edituser-rights"><?php echo _('Rights over the account'); ?></label>
                    <select id="group-edituser-rights" name="admin_rights" data-preview><option value="full"><?php echo _('full (log in as, edit, delete)'); ?></option><option value="read"><?php echo _('read (data only)'); ?></option></select>
                    <section class="eg-preview" aria-live="polite" aria-label="<?php echo htmlspecialchars(_('Access preview')); ?>"></section>
                </div>
                <p class="eg-error text-error" role="alert"></p>
            </div>
            <div class="modal-footer">
                <button type="button" class="btn" data-close><?php echo _('Cancel'); ?></button>
                <button type="submit" id="group-edituser-action" class="btn btn-primary" value="save"><?php echo _('Save'); ?></button>
            </div>
        </form>
    </dialog>

    <dialog id="group-removeuser-modal" class="eg-modal" aria-labelledby="group-removeuser-title">
        <form method="dialog" class="eg-form" data-form="removeuser">
            <div class="modal-header"><h3 id="group-removeuser-title"><?php echo _('Remove user'); ?></h3></div>
            <div class="modal-body">
                <p><?php echo _('Remove'); ?> <strong class="eg-target"></strong>:</p>
                <fieldset>
                    <legend class="eg-sr"><?php echo _('How'); ?></legend>
                    <input type="radio" id="removeuser-from-group" name="how" value="removeuser" checked data-preview>
                    <label for="removeuser-from-group" class="radio-inline"><?php echo _('from this group only'); ?></label><br>
                    <input type="radio" id="removeuser-delete" name="how" value="fullremoveuser" data-preview>
                    <label for="removeuser-delete" class="radio-inline"><?php echo _('delete the account permanently (feeds and data included)'); ?></label>
                </fieldset>
                <section class="eg-preview" aria-live="polite" aria-label="<?php echo htmlspecialchars(_('Access preview')); ?>"></section>
                <p class="eg-error text-error" role="alert"></p>
            </div>
            <div class="modal-footer">
                <button type="button" class="btn" data-close><?php echo _('Cancel'); ?></button>
                <button type="submit" id="remove-user-action" class="btn btn-danger" value="save"><?php echo _('Remove'); ?></button>
            </div>
        </form>
    </dialog>

    <dialog id="group-delete-modal" class="eg-modal" aria-labelledby="group-delete-title">
        <form method="dialog" class="eg-form" data-form="deletegroup">
            <div class="modal-header"><h3 id="group-delete-title"><?php echo _('Delete group'); ?></h3></div>
            <div class="modal-body">
                <p><?php echo _('Delete'); ?> <strong class="eg-target"></strong><?php echo _('? Its members keep their accounts and feeds.'); ?></p>
                <section class="eg-preview" aria-live="polite" aria-label="<?php echo htmlspecialchars(_('Access preview')); ?>"></section>
                <p class="eg-error text-error" role="alert"></p>
            </div>
            <div class="modal-footer">
                <button type="button" class="btn" data-close><?php echo _('Cancel'); ?></button>
                <button type="submit" id="delete-group-action" class="btn btn-danger" value="save"><?php echo _('Delete'); ?></button>
            </div>
        </form>
    </dialog>

    <dialog id="group-csv-modal" class="eg-modal" aria-labelledby="group-csv-title">
        <form method="dialog" class="eg-form" data-form="csv">
            <div class="modal-header"><h3 id="group-csv-title"><?php echo _('Download CSV'); ?></h3></div>
            <div class="modal-body">
                <p class="eg-target muted"></p>
                <label for="group-csv-start"><?php echo _('Start'); ?></label>
                <input id="group-csv-start" name="start" type="datetime-local" required>
                <label for="group-csv-end"><?php echo _('End'); ?></label>
                <input id="group-csv-end" name="end" type="datetime-local" required>
                <label for="group-csv-interval"><?php echo _('Interval (seconds)'); ?></label>
                <input id="group-csv-interval" name="interval" type="number" min="1" value="600" required>
                <label for="group-csv-timeformat"><?php echo _('Time format'); ?></label>
                <select id="group-csv-timeformat" name="timeformat"><option value="0"><?php echo _('unix time'); ?></option><option value="1"><?php echo _('date and time'); ?></option></select>
                <label for="group-csv-name"><?php echo _('File name'); ?></label>
                <input id="group-csv-name" name="name" value="export">
                <p class="eg-error text-error" role="alert"></p>
            </div>
            <div class="modal-footer">
                <button type="button" class="btn" data-close><?php echo _('Cancel'); ?></button>
                <button type="submit" id="group-csv-action" class="btn btn-primary" value="save"><?php echo _('Download'); ?></button>
            </div>
        </form>
    </dialog>
</div>
<script type="module" src="<?php echo htmlspecialchars($group_base); ?>group.js?v=<?php echo $group_version; ?>"></script>
