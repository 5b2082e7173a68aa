// The group page as the installer: every kind of change is previewed in the browser by the
// WebAssembly engine, saved, and the server's new access is compared with the preview.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useSession, openGroupPage, ready, api, screenshot, PLACEHOLDER } from "./harness.mjs";

let browser;
let page;
useSession("installer", "HeatPumpInstalls", (s) => ({ browser, page } = s));

/** The diff the dialog shows, read from the DOM: user → {gains, loses} as sorted cap keys. */
async function shownDiff() {
  return page.$$eval(".eg-modal[open] .eg-preview .eg-person", (items) =>
    Object.fromEntries(items.map((li) => [li.dataset.user, {
      gains: li.dataset.gains ? li.dataset.gains.split(" ").sort() : [],
      loses: li.dataset.loses ? li.dataset.loses.split(" ").sort() : [],
    }])));
}

/**
 * In the page, for the preview just shown: the access before and the predicted access after for
 * every member (and the new one), and the diff over every member (not only the people the page
 * asked about). Kept in window.__expect for afterSave().
 */
async function predict() {
  return page.evaluate(async () => {
    const { capKey } = await import(`${window.GROUP_CONFIG.base}preview/engine.js`);
    const gp = window.groupPage;
    const p = gp.preview;
    const r = gp.lastPreview;
    const everyone = p.everyone(r.changes);
    const keys = (caps) => caps.map(capKey).sort();
    const beforeCaps = {};
    for (const u of everyone) beforeCaps[u] = keys(p.whatCan(u));
    const predicted = p.predictedAfter(r.changes, everyone);
    const after = {};
    for (const [u, caps] of Object.entries(predicted)) after[u] = keys(caps);
    const full = {};
    for (const d of p.whatIf(r.changes, everyone)) full[d.user] = { gains: keys(d.gains), loses: keys(d.loses) };
    const asked = {};
    for (const d of r.diff) asked[d.user] = { gains: keys(d.gains), loses: keys(d.loses) };
    window.__expect = { gid: p.gid, everyone, before: beforeCaps, after };
    return { route: r.route, changes: r.changes, everyone, before: beforeCaps, after, full, asked };
  });
}

/** After the save: a fresh snapshot from the server, what_can for every member, as cap keys. */
async function serverAccess(realIdForPlaceholder = null) {
  return page.evaluate(async ([placeholder, realId]) => {
    const { loadEngine, GroupPreview, capKey } = await import(`${window.GROUP_CONFIG.base}preview/engine.js`);
    const cfg = window.GROUP_CONFIG;
    const e = window.__expect;
    const res = await fetch(`${cfg.path}group/snapshot.json?groupid=${e.gid}`, { credentials: "same-origin" });
    const snap = await res.json();
    if (!snap.success) return { failure: snap.message };
    const wasm = await loadEngine(new URL(cfg.wasm, location.href));
    const fresh = new GroupPreview(wasm, snap, {});
    const out = {};
    try {
      for (const u of e.everyone) {
        const uid = u === placeholder ? realId : u;
        out[u] = fresh.whatCan(uid).map((c) => {
          const k = capKey(c);
          if (!realId) return k;
          const f = k.split("|"); // action|group|user|feed: only the user field names people
          if (f[2] === String(realId)) f[2] = String(placeholder);
          return f.join("|");
        }).sort();
      }
    } finally {
      fresh.free();
    }
    return { access: out, members: fresh.members, feeds: [...fresh.feeds.keys()] };
  }, [PLACEHOLDER, realIdForPlaceholder]);
}

/**
 * The server's access vs the predicted after-state. A member who left the group takes its feeds
 * out of the snapshot (the viewer may no longer see them), so feed capabilities are compared for
 * the feeds the fresh snapshot holds; every capability of the group itself is compared.
 */
function assertSameAccess(server, predicted, message) {
  const feeds = new Set(server.feeds.map(String));
  const keep = (k) => { const f = k.split("|"); return f[0] !== "feed.read" || feeds.has(f[3]); };
  const p = Object.fromEntries(Object.entries(predicted).map(([u, caps]) => [u, caps.filter(keep)]));
  assert.deepEqual(server.access, p, message);
}

function diffOf(beforeCaps, afterCaps) {
  const out = {};
  for (const u of Object.keys(afterCaps)) {
    const b = new Set(beforeCaps[u] || []);
    const a = new Set(afterCaps[u]);
    const gains = [...a].filter((k) => !b.has(k)).sort();
    const loses = [...b].filter((k) => !a.has(k)).sort();
    if (gains.length || loses.length) out[u] = { gains, loses };
  }
  return out;
}

/** The common part of every kind: what the dialog shows is the engine's diff, exactly. */
async function checkPreview(expectPeople) {
  const failed = await page.textContent(".eg-modal[open] .eg-preview");
  assert.doesNotMatch(failed, /Preview failed/);
  const shown = await shownDiff();
  const x = await predict();
  assert.deepEqual(shown, x.asked, "the dialog shows the engine's what_if");
  assert.deepEqual(x.asked, x.full, "the people the engine examines are all whose access changes");
  assert.deepEqual(diffOf(x.before, x.after), x.full, "what_if equals what_can before vs after");
  const text = await page.textContent(".eg-modal[open] .eg-preview");
  for (const u of expectPeople) assert.ok(shown[u], `the preview names user ${u}: ${text.slice(0, 300)}`);
  return x;
}

async function save(selector) {
  await page.evaluate(() => { window.groupPage.lastSave = null; });
  await page.click(selector);
  await page.waitForFunction(() => window.groupPage.lastSave
    && (window.groupPage.lastSave.error || (!document.querySelector(".eg-modal[open]") && document.querySelector("#group-page").dataset.state === "ready")),
  null, { timeout: 15000 });
  const last = await page.evaluate(() => window.groupPage.lastSave);
  assert.equal(last.error, undefined, `the server accepted the change: ${last.error}`);
  return last;
}

async function rowOf(username) {
  return page.locator("tr.user-info", { has: page.locator(".user-name", { hasText: new RegExp(`^${username}$`) }) });
}

async function userid(username) {
  return Number(await (await rowOf(username)).getAttribute("data-userid"));
}

test("the page: title, groups, members, old DOM ids, feed ages", async () => {
  assert.equal(await page.title(), "Emoncms - group");
  assert.ok(await page.locator("a.group", { hasText: "HeatPumpInstalls" }).count());
  assert.equal(await page.textContent("#groupname"), "HeatPumpInstalls");
  assert.match(await page.textContent("#groupdescription"), /Heat-pump-sites/);
  for (const id of ["#groupcreate", "#addmember", "#createuseraddtogroup", "#deletegroup", "#group-create-name", "#group-create-description",
    "#group-create-action", "#group-addmember-username", "#group-addmember-password", "#group-addmember-access", "#group-addmember-action",
    "#group-createuseraddtogroup-name", "#group-createuseraddtogroup-email", "#group-createuseraddtogroup-username",
    "#group-createuseraddtogroup-password", "#group-createuseraddtogroup-password-confirm", "#group-createuseraddtogroup-role",
    "#group-createuseraddtogroup-action", "#remove-user-action", "label[for=removeuser-from-group]", "label[for=removeuser-delete]",
    "#delete-group-action"]) {
    assert.equal(await page.locator(id).count(), 1, `${id} exists`);
  }
  assert.equal(await page.locator("tr.user-info").count(), 42);
  const roles = await page.$$eval(".user-info .user-role", (els) => [...new Set(els.map((e) => e.textContent))].sort());
  assert.deepEqual(roles, ["Administrator", "Passive member", "Sub-administrator"]);
  assert.ok(await page.locator('[title="Remove user"]').count() > 0);
  assert.ok(await page.locator(".setuser").count() > 0);
  // Each row offers what the server would allow this administrator on that member: own account
  // editable but never removed or impersonated; a sub-administrator's role editable, but no
  // logging in as a group administrator; a site with full rights, everything.
  const buttons = async (row) => ({
    edit: await row.locator('[title="Edit user"]').count(),
    remove: await row.locator('[title="Remove user"]').count(),
    login: await row.locator(".setuser").count(),
  });
  assert.deepEqual(await buttons(await rowOf("installer")), { edit: 1, remove: 0, login: 0 });
  const staff = page.locator("tr.user-info", { has: page.locator(".user-role", { hasText: /^Sub-administrator$/ }) }).first();
  assert.deepEqual(await buttons(staff), { edit: 1, remove: 1, login: 0 });
  assert.deepEqual(await buttons(await rowOf("site01")), { edit: 1, remove: 1, login: 1 });
  // the stale sites (37–40: 3 h … a week) are red, the others younger
  assert.match(await (await rowOf("site40")).locator(".eg-age").getAttribute("class"), /eg-age-4/);
  const summary = await api(page, "summary", { groupid: 1 });
  assert.equal(await page.textContent('[data-field="organization"]'), summary.organization);
  // feeds per member, grouped by tag
  await (await rowOf("site01")).locator(".eg-feeds-toggle").click();
  assert.equal(await page.locator("#group-feeds-7 .eg-feeds caption").first().textContent(), "heatpump");
  assert.equal(await page.locator("#group-feeds-7 .eg-feed-pick").count(), 5);
  await screenshot(page, "group-page.png");
  await (await rowOf("site01")).locator(".eg-feeds-toggle").click();
});

test("role change: previewed, saved, and the server's access equals the preview", async () => {
  const uid = await userid("site01");
  await (await rowOf("site01")).locator('button[title="Edit user"]').click();
  await page.selectOption("#group-edituser-role", "2");
  const x = await checkPreview([uid]);
  assert.deepEqual(x.changes.filter((c) => c.kind === "update_membership"), [{ kind: "update_membership", groupid: 1, userid: uid, role: 2, admin_rights: "full" }]);
  assert.ok(x.asked[uid].gains.includes("members.list|1||"), "a new sub-administrator gains the member list");
  assert.ok(x.asked[2].loses.includes(`member.impersonate|1|${uid}|`), "the installer can no longer log in as a staff member");
  await screenshot(page, "preview-role-change.png");
  const last = await save("#group-edituser-action");
  assert.equal(last.body.message, "User info updated");
  assert.equal(await (await rowOf("site01")).locator(".user-role").textContent(), "Sub-administrator");
  const server = await serverAccess();
  assertSameAccess(server, x.after, "what_can on a fresh snapshot equals the predicted after-state");
  const list = await api(page, "userlist", { groupid: 1 });
  assert.equal(list.find((u) => u.userid === uid).role, 2);
});

test("rights change (full → read): previewed and saved", async () => {
  const uid = await userid("site02");
  await (await rowOf("site02")).locator('button[title="Edit user"]').click();
  await page.selectOption("#group-edituser-rights", "read");
  const x = await checkPreview([2]);
  assert.ok(x.asked[2].loses.includes(`member.impersonate|1|${uid}|`));
  await save("#group-edituser-action");
  assert.equal(await (await rowOf("site02")).locator(".user-rights").textContent(), "read");
  assert.equal(await (await rowOf("site02")).locator(".setuser").count(), 0, "no 'Log in as' without full rights");
  assertSameAccess(await serverAccess(), x.after);
});

test("a refused change is shown as the server's refusal before saving", async () => {
  await (await rowOf("site02")).locator('button[title="Edit user"]').click();
  await page.selectOption("#group-edituser-rights", "full");
  // read rights: the account is out of the administrator's hands, so the engine refuses
  const shown = await page.textContent(".eg-modal[open] .eg-preview");
  const m = shown.match(/will refuse this: (.*)$/);
  assert.ok(m, `the preview predicts a refusal: ${shown}`);
  await page.evaluate(() => { window.groupPage.lastSave = null; });
  await page.click("#group-edituser-action");
  await page.waitForFunction(() => window.groupPage.lastSave);
  assert.equal(await page.textContent("#group-edituser-modal .eg-error"), m[1], "the server refuses with the predicted message");
  await page.keyboard.press("Escape");
});

test("remove a member: previewed and saved", async () => {
  const uid = await userid("site03");
  await (await rowOf("site03")).locator('[title="Remove user"]').click();
  const x = await checkPreview([2]);
  // a passive member has nothing in the group to lose; the staff lose everything about it
  assert.equal(x.asked[uid], undefined);
  assert.ok(x.asked[2].loses.includes(`members.remove|1|${uid}|`));
  assert.ok(x.asked[2].loses.includes(`member.feeds|1|${uid}|`));
  await save("#remove-user-action");
  assert.equal(await page.locator("tr.user-info").count(), 41);
  const server = await serverAccess();
  assert.ok(!server.members.includes(uid));
  assertSameAccess(server, x.after);
});

test("create a user, then add an existing account: both previewed with a placeholder member", async () => {
  await page.click("#createuseraddtogroup");
  await page.fill("#group-createuseraddtogroup-name", "Preview Person");
  await page.fill("#group-createuseraddtogroup-email", "preview@example.org");
  await page.fill("#group-createuseraddtogroup-username", "previewer");
  await page.fill("#group-createuseraddtogroup-password", "previewpass");
  await page.fill("#group-createuseraddtogroup-password-confirm", "previewpass");
  await page.selectOption("#group-createuseraddtogroup-role", "3");
  let x = await checkPreview([PLACEHOLDER]);
  const created = await save("#group-createuseraddtogroup-action");
  const newId = created.body.userid;
  assert.ok(newId > 0);
  assertSameAccess(await serverAccess(newId), x.after, "create user: the new member's access is the previewed one");

  // take the new account out again, so that it is an account in no group, with no feeds …
  await (await rowOf("previewer")).locator('[title="Remove user"]').click();
  x = await checkPreview([newId, 2]);
  await save("#remove-user-action");
  assertSameAccess(await serverAccess(), x.after, "remove: the server's access equals the preview");

  // … and add it back with addmemberauth, as an observer with read rights
  await page.click("#addmember");
  await page.fill("#group-addmember-username", "previewer");
  await page.fill("#group-addmember-password", "previewpass");
  await page.selectOption("#group-addmember-access", "4");
  await page.selectOption("#group-addmember-rights", "read");
  x = await checkPreview([PLACEHOLDER]);
  assert.ok(x.asked[PLACEHOLDER].gains.includes("group.aggregate|1||"));
  assert.match(await page.textContent(".eg-modal[open] .eg-preview"), /the new member/);
  await screenshot(page, "preview-add-member.png");
  const added = await save("#group-addmember-action");
  assert.equal(added.body.message, `User ${newId}:previewer added`);
  assertSameAccess(await serverAccess(newId), x.after, "add member: the server's access equals the preview");
});

test("delete a group: previewed (everyone loses it) and saved", async () => {
  // a group of its own, made through the page
  await page.click("#groupcreate");
  await page.fill("#group-create-name", "PreviewDelete");
  await page.fill("#group-create-description", "made-by-the-browser-test");
  await page.click("#group-create-action");
  await page.waitForFunction(() => document.querySelector("#groupname").textContent === "PreviewDelete");
  await ready(page);
  const gid = await page.evaluate(() => window.groupPage.gid);
  await page.click("#addmember");
  await page.fill("#group-addmember-username", "previewer");
  await page.fill("#group-addmember-password", "previewpass");
  await page.selectOption("#group-addmember-access", "3");
  await checkPreview([PLACEHOLDER]);
  await save("#group-addmember-action");
  assert.equal(await page.locator("tr.user-info").count(), 2);

  await page.click("#deletegroup");
  const x = await checkPreview([2]);
  for (const [u, caps] of Object.entries(x.after)) assert.deepEqual(caps.filter((k) => k.split("|")[1] === String(gid)), [], `user ${u} keeps nothing of the group`);
  assert.ok(Object.keys(x.asked).length === 2);
  await screenshot(page, "preview-delete-group.png");
  await save("#delete-group-action");
  // the server agrees: the group is gone for everyone (no snapshot, no list entry, no summary)
  assert.equal((await serverAccess()).failure, "You have not got access to the list of users of this group");
  assert.ok(!(await api(page, "grouplist")).some((g) => g.groupid === gid));
  assert.equal((await api(page, "summary", { groupid: gid })).success, false);
  assert.equal(await page.locator("a.group", { hasText: "PreviewDelete" }).count(), 0);
});

test("edit group keeps organization, area, visibility and access (B-34)", async () => {
  await openGroupPage(page, "HeatPumpInstalls");
  await page.click("#groupedit");
  assert.equal(await page.inputValue("#group-edit-organization"), "IvyHeat");
  await page.fill("#group-edit-description", "Sites-we-look-after");
  await page.click("#group-edit-action");
  await page.waitForFunction(() => document.querySelector("#groupdescription").textContent === "Sites-we-look-after");
  const s = await api(page, "summary", { groupid: 1 });
  assert.deepEqual([s.organization, s.area, s.visibility, s.access], ["IvyHeat", "Wales", "private", "closed"]);
});

test("search, CSV link and log in as", async () => {
  await page.click("#group-search");
  await page.fill("#group-search", "ground-source");
  await page.waitForSelector("#group-search-results li a");
  assert.ok((await page.locator("#group-search-results li a").count()) >= 10);
  await (await rowOf("site05")).locator(".eg-feeds-toggle").click();
  await page.check("#group-feeds-11 .eg-feed-pick >> nth=0");
  assert.equal(await page.isDisabled("#group-csv"), false);
  const href = await (await rowOf("site05")).locator(".setuser").getAttribute("href");
  assert.equal(href, "/group/setuser?groupid=1&userid=11");
  assert.deepEqual(browser.errors, [], "no page errors, console errors or failed requests");
});
