<?php
/*
 * emongroups — the minimal group page: it lists the caller's groups through the module's own
 * API (group/grouplist.json). The full group page is a separate piece of work; every route it
 * will call already answers here.
 */
defined('EMONCMS_EXEC') or die('Restricted access');
?>
<h2>Groups</h2>
<p>The groups you belong to, with your role in each.</p>
<table class="table" id="group-list">
    <thead><tr><th>Id</th><th>Name</th><th>Description</th><th>Role</th></tr></thead>
    <tbody><tr><td colspan="4">Loading…</td></tr></tbody>
</table>
<script>
(function () {
    var roles = {0: "Passive member", 1: "Administrator", 2: "Sub-administrator", 3: "Member", 4: "Observer"};
    var body = document.querySelector("#group-list tbody");
    function cell(row, text) {
        var td = document.createElement("td");
        td.textContent = text === null || text === undefined ? "" : String(text);
        row.appendChild(td);
    }
    fetch(<?php echo json_encode($path . 'group/grouplist.json'); ?>, {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (list) {
            body.innerHTML = "";
            if (!Array.isArray(list)) {
                var row = document.createElement("tr");
                cell(row, list && list.message ? list.message : "Could not list groups");
                body.appendChild(row);
                return;
            }
            if (!list.length) {
                var empty = document.createElement("tr");
                cell(empty, "You are not in any group yet.");
                body.appendChild(empty);
            }
            list.forEach(function (g) {
                var row = document.createElement("tr");
                cell(row, g.groupid);
                cell(row, g.name);
                cell(row, g.description);
                cell(row, roles[g.role] !== undefined ? roles[g.role] : g.role);
                body.appendChild(row);
            });
        })
        .catch(function (e) { body.textContent = "Error: " + e; });
})();
</script>
