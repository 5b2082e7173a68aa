// The group page inside real emoncms, as the installer of the seeded story
// (host-tests/emoncms/seed.php): HeatPumpInstalls as it was seeded, and every kind of change
// previewed in the browser by the WebAssembly engine, saved, and the server's new access compared
// with the preview.
//
// A test that changes a group works on a group of its own (scratchGroup: made through the group
// API and deleted again when the test ends, pass or fail), so HeatPumpInstalls stays as seeded for
// the other tests of this file and of the files after it (keyboard, real/).
import { test } from "node:test";
import assert from "node:assert/strict";
import { useSession, openGroupPage, ready, api, call, screenshot, PLACEHOLDER, SEED, BASE, account } from "./harness.mjs";

let browser;
let page;
useSession("installer", "HeatPumpInstalls", (s) => ({ browser, page } = s));

const INSTALLS = SEED.groups.installs;
const INSTALLER = account("installer").id;
const id = (username) => account(username).id;

// Names made by this run: the seed's emoncms is fresh for every run of scripts/test-browser.sh,
// but a rerun of this file against the same emoncms must not meet its own leftovers.
const STAMP = Date.now().toString(36);
let scratchCount = 0;

/**
 * A group of the installer's own for one test: made through group/create.json, filled through
 * group/addmemberauth.json with each member's own password (what the Add member dialog sends),
 * opened on the page; group/delete.json removes it when the test ends, so no role or right it
 * gave anyone outlives the test. `members`: [username, role, admin_rights].
 */
async function scratchGroup(t, members, fields = {}) {
  const name = `Scratch${++scratchCount}x${STAMP}`;
  const created = await call(page, "create", { name, description: "made-by-a-browser-test", ...fields });
  assert.equal(created.success, true, `group/create.json: ${JSON.stringify(created)}`);
  const gid = created.groupid;
  t.after(async () => {
    const r = await call(page, "delete", { groupid: gid });
    assert.equal(r.success, true, `group/delete.json ${name}: ${JSON.stringify(r)}`);
  });
  for (const [username, role, rights = "full"] of members) {
    const r = await call(page, "addmemberauth", { groupid: gid, username, password: account(username).password, role, admin_rights: rights });
    assert.equal(r.success, true, `addmemberauth ${username}: ${JSON.stringify(r)}`);
  }
  await openGroupPage(page, name);
  assert.equal(await page.locator("#groupname").innerText(), name);
  return { gid, name };
}

/** The installer's scratch crew: the technician (sub-administrator) and sites with full or read rights. */
const CREW = [["technician", 2], ["site21", 0], ["site22", 0], ["site23", 0], ["site11", 0], ["site24", 0, "read"]];

/** The diff the dialog holds, read from the DOM: user → {gains, loses} as sorted cap keys. */
async function shownDiff() {
  return page.$$eval(".eg-modal[open] .eg-preview .eg-person", (items) =>
    Object.fromEntries(items.map((li) => [li.dataset.user, {
      gains: li.dataset.gains ? li.dataset.gains.split(" ").sort() : [],
      loses: li.dataset.loses ? li.dataset.loses.split(" ").sort() : [],
    }])));
}

/** The preview as a person reads it: each person's visible name and block of text, in order. */
async function shownPeople() {
  return page.$$eval(".eg-modal[open] .eg-preview .eg-person", (items) => items.map((li) => ({
    user: li.dataset.user,
    visible: li.checkVisibility(),
    name: li.querySelector(".eg-person-name strong")?.innerText ?? "",
    text: li.innerText,
  })));
}

/** The visible text of the preview block about `uid`. */
async function personText(uid) {
  const li = page.locator(`.eg-modal[open] .eg-preview .eg-person[data-user="${uid}"]`);
  assert.equal(await li.isVisible(), true, `the preview shows user ${uid}`);
  return li.innerText();
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
    const people = [];
    for (const d of r.diff) {
      asked[d.user] = { gains: keys(d.gains), loses: keys(d.loses) };
      people.push({ user: String(d.user), name: p.name(d.user), gains: d.gains.length, loses: d.loses.length });
    }
    window.__expect = { gid: p.gid, everyone, before: beforeCaps, after };
    return { route: r.route, changes: r.changes, everyone, before: beforeCaps, after, full, asked, people };
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

/**
 * The common part of every kind: what the dialog shows is the engine's diff, exactly — in the
 * capabilities it carries and in what a person reads: who, how much they gain and lose, how many
 * people are concerned.
 */
async function checkPreview(expectPeople) {
  const box = page.locator(".eg-modal[open] .eg-preview");
  assert.equal(await box.isVisible(), true, "the dialog shows its access preview");
  const text = await box.innerText();
  assert.doesNotMatch(text, /Preview failed/);
  const shown = await shownDiff();
  const x = await predict();
  assert.deepEqual(shown, x.asked, "the dialog shows the engine's what_if");
  assert.deepEqual(x.asked, x.full, "the people the engine examines are all whose access changes");
  assert.deepEqual(diffOf(x.before, x.after), x.full, "what_if equals what_can before vs after");
  const people = await shownPeople();
  assert.deepEqual(people.map((p) => [p.user, p.name]), x.people.map((p) => [p.user, p.name]), "each person is named, in the engine's order");
  for (const [i, p] of x.people.entries()) {
    assert.ok(people[i].visible, `${p.name} is visible in the preview`);
    if (p.gains) assert.match(people[i].text, new RegExp(`gains ${p.gains}\\b`), `${p.name}: "gains ${p.gains}" is shown`);
    if (p.loses) assert.match(people[i].text, new RegExp(`loses ${p.loses}\\b`), `${p.name}: "loses ${p.loses}" is shown`);
  }
  if (x.people.length) {
    const n = x.people.length;
    assert.match(text, new RegExp(`${n} ${n === 1 ? "person's" : "people's"} access changes`), "the number of people is shown");
  }
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

function rowOf(username) {
  return page.locator("tr.user-info", { has: page.locator(".user-name", { hasText: new RegExp(`^${username}$`) }) });
}

async function userid(username) {
  return Number(await rowOf(username).getAttribute("data-userid"));
}

/** The member rows a person sees. */
const visibleRows = () => page.locator("tr.user-info:visible");

test("the page: title, groups, members, old DOM ids, feed ages", async () => {
  const sites = Object.keys(SEED.sites);
  assert.equal(await page.title(), "Emoncms - group");
  assert.equal(await page.locator("a.group", { hasText: "HeatPumpInstalls" }).isVisible(), true, "the group is listed");
  assert.equal(await page.locator("#groupname").innerText(), "HeatPumpInstalls");
  assert.match(await page.locator("#groupdescription").innerText(), /Heat-pump-sites/);
  // The ids the old Selenium tests of group 2.0.0 used are kept.
  for (const sel of ["#groupcreate", "#addmember", "#createuseraddtogroup", "#deletegroup", "#group-create-name", "#group-create-description",
    "#group-create-action", "#group-addmember-username", "#group-addmember-password", "#group-addmember-access", "#group-addmember-action",
    "#group-createuseraddtogroup-name", "#group-createuseraddtogroup-email", "#group-createuseraddtogroup-username",
    "#group-createuseraddtogroup-password", "#group-createuseraddtogroup-password-confirm", "#group-createuseraddtogroup-role",
    "#group-createuseraddtogroup-action", "#remove-user-action", "label[for=removeuser-from-group]", "label[for=removeuser-delete]",
    "#delete-group-action"]) {
    assert.equal(await page.locator(sel).count(), 1, `${sel} exists`);
  }
  // the installer, the technician and the 40 sites
  assert.equal(await visibleRows().count(), 2 + sites.length);
  const roles = [...new Set(await page.locator("tr.user-info .user-role:visible").allInnerTexts())].sort();
  assert.deepEqual(roles, ["Administrator", "Passive member", "Sub-administrator"]);
  // Each row offers what the server would allow this administrator on that member: own account
  // editable but never removed or impersonated; a sub-administrator removable, but its account
  // (and so its role: roles change through setuserinfo) out of reach, as the server refuses
  // "Cannot edit the account of a group administrator"; a site with full rights, everything.
  const buttons = async (row) => ({
    edit: await row.locator('[title="Edit user"]:visible').count(),
    remove: await row.locator('[title="Remove user"]:visible').count(),
    login: await row.locator(".setuser:visible").count(),
  });
  assert.deepEqual(await buttons(rowOf("installer")), { edit: 1, remove: 0, login: 0 });
  assert.deepEqual(await buttons(rowOf("technician")), { edit: 0, remove: 1, login: 0 });
  assert.equal(await rowOf("technician").locator(".user-role").innerText(), "Sub-administrator");
  assert.deepEqual(await buttons(rowOf("site01")), { edit: 1, remove: 1, login: 1 });
  assert.equal(await rowOf("site01").locator(".setuser").innerText(), "Log in as");
  // the stale sites (37–40: 3 h, a day, 3 days, a week) wear the legend's "older" colour, the others not
  const colour = (loc) => loc.evaluate((e) => getComputedStyle(e).backgroundColor);
  const older = await colour(page.locator(".eg-legend .eg-age", { hasText: "older" }));
  const age = (username) => rowOf(username).locator(".eg-age");
  for (const [site, shown] of [["site37", /^3 h$/], ["site38", /^24 h$/], ["site39", /^3 d$/], ["site40", /^7 d$/]]) {
    assert.match(await age(site).innerText(), shown, `${site}'s last update`);
    assert.equal(await colour(age(site)), older, `${site} is marked as older`);
  }
  assert.notEqual(await colour(age("site01")), older, "a site that reported minutes ago is not marked as older");
  assert.match(await age("site01").innerText(), /^\d+ (s|min)$/);
  // the group's details, as the summary route answers them
  const summary = await api(page, "summary", { groupid: INSTALLS });
  const details = await page.locator("#group-details").innerText();
  for (const v of [summary.organization, summary.area]) assert.ok(details.includes(v), `the details show ${v}: ${details}`);
  assert.deepEqual([summary.organization, summary.area], ["IvyHeat", "Wales"]);
  // feeds per member, grouped by tag: site01's five feeds under "heatpump"
  await rowOf("site01").locator(".eg-feeds-toggle").click();
  const feeds = page.locator(`#group-feeds-${id("site01")}`);
  assert.equal(await feeds.locator(".eg-feeds caption").first().innerText(), "heatpump");
  assert.equal(await feeds.locator(".eg-feed-pick:visible").count(), 5);
  assert.deepEqual((await feeds.locator("label:visible").allInnerTexts()).sort(), Object.keys(SEED.sites.site01.feeds).sort());
  await screenshot(page, "group-page.png");
  await rowOf("site01").locator(".eg-feeds-toggle").click();
  assert.equal(await feeds.isVisible(), false, "the toggle folds the feeds again");
});

test("role change: previewed, saved, and the server's access equals the preview", async (t) => {
  const { gid } = await scratchGroup(t, CREW);
  const uid = await userid("site21");
  await rowOf("site21").locator('button[title="Edit user"]').click();
  await page.selectOption("#group-edituser-role", "2");
  const x = await checkPreview([uid]);
  assert.deepEqual(x.changes.filter((c) => c.kind === "update_membership"), [{ kind: "update_membership", groupid: gid, userid: uid, role: 2, admin_rights: "full" }]);
  assert.ok(x.asked[uid].gains.includes(`members.list|${gid}||`), "a new sub-administrator gains the member list");
  assert.match(await personText(uid), /see the member list/);
  assert.ok(x.asked[INSTALLER].loses.includes(`member.impersonate|${gid}|${uid}|`), "the installer can no longer log in as a staff member");
  assert.match(await personText(INSTALLER), /log in as site21/);
  await screenshot(page, "preview-role-change.png");
  const last = await save("#group-edituser-action");
  assert.equal(last.body.message, "User info updated");
  assert.equal(await rowOf("site21").locator(".user-role").innerText(), "Sub-administrator");
  assert.equal(await rowOf("site21").locator(".setuser:visible").count(), 0, "no 'Log in as' on a sub-administrator");
  const server = await serverAccess();
  assertSameAccess(server, x.after, "what_can on a fresh snapshot equals the predicted after-state");
  const list = await api(page, "userlist", { groupid: gid });
  assert.equal(list.find((u) => u.userid === uid).role, 2);
});

test("rights change (full → read): previewed and saved", async (t) => {
  const { gid } = await scratchGroup(t, CREW);
  const uid = await userid("site22");
  assert.equal(await rowOf("site22").locator(".setuser").isVisible(), true, "'Log in as' with full rights");
  await rowOf("site22").locator('button[title="Edit user"]').click();
  await page.selectOption("#group-edituser-rights", "read");
  const x = await checkPreview([INSTALLER]);
  assert.ok(x.asked[INSTALLER].loses.includes(`member.impersonate|${gid}|${uid}|`));
  assert.match(await personText(INSTALLER), /log in as site22/);
  await save("#group-edituser-action");
  assert.equal(await rowOf("site22").locator(".user-rights").innerText(), "read");
  assert.equal(await rowOf("site22").locator(".setuser:visible").count(), 0, "no 'Log in as' without full rights");
  assertSameAccess(await serverAccess(), x.after);
});

test("a refused change is shown as the server's refusal before saving", async (t) => {
  await scratchGroup(t, CREW);
  // site24 joined with read rights: its account, role included, is out of the administrator's
  // hands, so the page offers no Edit at all (the server would refuse every edit of it).
  assert.equal(await rowOf("site24").locator(".user-rights").innerText(), "read");
  assert.equal(await rowOf("site24").locator('button[title="Edit user"]:visible').count(), 0, "no Edit on a read-rights member");
  // The installer is the group's only administrator: stepping down to passive member would leave
  // it without one — refused by the engine in the preview and by the server.
  assert.equal(await rowOf("installer").locator(".user-role").innerText(), "Administrator");
  await rowOf("installer").locator('button[title="Edit user"]').click();
  await page.selectOption("#group-edituser-role", "0");
  const shown = await page.locator(".eg-modal[open] .eg-preview").innerText();
  const m = shown.match(/will refuse this: (.*)$/m);
  assert.ok(m, `the preview predicts a refusal: ${shown}`);
  await page.evaluate(() => { window.groupPage.lastSave = null; });
  await page.click("#group-edituser-action");
  await page.waitForFunction(() => window.groupPage.lastSave);
  const error = page.locator("#group-edituser-modal .eg-error");
  assert.equal(await error.isVisible(), true, "the server's refusal is shown in the dialog");
  assert.equal((await error.innerText()).trim(), m[1].trim(), "the server refuses with the predicted message");
  await page.keyboard.press("Escape");
  assert.equal(await rowOf("installer").locator(".user-role").innerText(), "Administrator", "nothing changed");
});

test("remove a member: previewed and saved", async (t) => {
  const { gid } = await scratchGroup(t, CREW);
  const uid = await userid("site23");
  const technician = id("technician");
  const rows = await visibleRows().count();
  await rowOf("site23").locator('[title="Remove user"]').click();
  const x = await checkPreview([INSTALLER, technician]);
  // a passive member has nothing in the group to lose; the staff lose everything about it
  assert.equal(x.asked[uid], undefined);
  assert.ok(x.asked[INSTALLER].loses.includes(`members.remove|${gid}|${uid}|`));
  assert.ok(x.asked[INSTALLER].loses.includes(`member.feeds|${gid}|${uid}|`));
  assert.match(await personText(INSTALLER), /remove site23 from the group/);
  assert.match(await personText(technician), /list and read site23's feeds/);
  await save("#remove-user-action");
  assert.equal(await visibleRows().count(), rows - 1);
  assert.equal(await rowOf("site23").count(), 0, "site23's row is gone");
  const server = await serverAccess();
  assert.ok(!server.members.includes(uid));
  assertSameAccess(server, x.after);
});

test("create a user, then add an existing account: both previewed with a placeholder member", async (t) => {
  const { gid } = await scratchGroup(t, CREW);
  const username = `previewer${STAMP}`;
  await page.click("#createuseraddtogroup");
  await page.fill("#group-createuseraddtogroup-name", "Preview Person");
  await page.fill("#group-createuseraddtogroup-email", `${username}@example.org`);
  await page.fill("#group-createuseraddtogroup-username", username);
  await page.fill("#group-createuseraddtogroup-password", "previewpass");
  await page.fill("#group-createuseraddtogroup-password-confirm", "previewpass");
  await page.selectOption("#group-createuseraddtogroup-role", "3");
  let x = await checkPreview([PLACEHOLDER]);
  assert.match(await personText(PLACEHOLDER), /the new member/);
  const created = await save("#group-createuseraddtogroup-action");
  const newId = created.body.userid;
  assert.ok(newId > 0);
  assert.equal(await rowOf(username).isVisible(), true, "the new member is listed");
  assert.equal(await rowOf(username).locator(".user-role").innerText(), "Member");
  assertSameAccess(await serverAccess(newId), x.after, "create user: the new member's access is the previewed one");

  // take the new account out again, so that it is an account in no group, with no feeds …
  await rowOf(username).locator('[title="Remove user"]').click();
  x = await checkPreview([newId, INSTALLER]);
  await save("#remove-user-action");
  assertSameAccess(await serverAccess(), x.after, "remove: the server's access equals the preview");

  // … and add it back with addmemberauth, as an observer with read rights
  await page.click("#addmember");
  await page.fill("#group-addmember-username", username);
  await page.fill("#group-addmember-password", "previewpass");
  await page.selectOption("#group-addmember-access", "4");
  await page.selectOption("#group-addmember-rights", "read");
  x = await checkPreview([PLACEHOLDER]);
  assert.ok(x.asked[PLACEHOLDER].gains.includes(`group.aggregate|${gid}||`));
  assert.match(await personText(PLACEHOLDER), /the new member[\s\S]*see sums over the members' feeds/);
  await screenshot(page, "preview-add-member.png");
  const added = await save("#group-addmember-action");
  assert.equal(added.body.message, `User ${newId}:${username} added`);
  assert.equal(await rowOf(username).locator(".user-role").innerText(), "Observer");
  assertSameAccess(await serverAccess(newId), x.after, "add member: the server's access equals the preview");
});

test("delete a group: previewed (everyone loses it) and saved", async (t) => {
  // a group of its own, made through the page
  const name = `PreviewDelete${STAMP}`;
  let gid = null;
  t.after(async () => { if (gid && (await call(page, "grouplist")).some((g) => g.groupid === gid)) await call(page, "delete", { groupid: gid }); });
  await page.click("#groupcreate");
  await page.fill("#group-create-name", name);
  await page.fill("#group-create-description", "made-by-the-browser-test");
  await page.click("#group-create-action");
  await page.waitForFunction((n) => document.querySelector("#groupname").textContent === n, name);
  await ready(page);
  gid = await page.evaluate(() => window.groupPage.gid);
  assert.equal(await page.locator("a.group", { hasText: name }).isVisible(), true, "the new group is listed");
  await page.click("#addmember");
  await page.fill("#group-addmember-username", "site30");
  await page.fill("#group-addmember-password", account("site30").password);
  await page.selectOption("#group-addmember-access", "3");
  await checkPreview([PLACEHOLDER]);
  await save("#group-addmember-action");
  assert.equal(await visibleRows().count(), 2);

  await page.click("#deletegroup");
  const x = await checkPreview([INSTALLER, id("site30")]);
  for (const [u, caps] of Object.entries(x.after)) assert.deepEqual(caps.filter((k) => k.split("|")[1] === String(gid)), [], `user ${u} keeps nothing of the group`);
  assert.equal(Object.keys(x.asked).length, 2);
  assert.match(await page.locator(".eg-modal[open] .eg-preview").innerText(), /2 people's access changes/);
  await screenshot(page, "preview-delete-group.png");
  await save("#delete-group-action");
  // the server agrees: the group is gone for everyone (no snapshot, no list entry, no summary)
  assert.equal((await serverAccess()).failure, "You have not got access to the list of users of this group");
  assert.ok(!(await api(page, "grouplist")).some((g) => g.groupid === gid));
  assert.equal((await api(page, "summary", { groupid: gid })).success, false);
  assert.equal(await page.locator("a.group", { hasText: name }).count(), 0, "no longer listed");
  assert.equal(await page.locator("#group-none").isVisible(), true, "the page shows no group");
});

test("edit group keeps organization, area, visibility and access (B-34)", async (t) => {
  const fields = { organization: "IvyHeat", area: "Wales", visibility: "public", access: "open" };
  const { gid } = await scratchGroup(t, [["site21", 0]], fields);
  await page.click("#groupedit");
  assert.equal(await page.inputValue("#group-edit-organization"), "IvyHeat");
  assert.equal(await page.inputValue("#group-edit-visibility"), "public");
  await page.fill("#group-edit-description", "Sites-we-look-after");
  await page.click("#group-edit-action");
  await page.waitForFunction(() => document.querySelector("#groupdescription").textContent === "Sites-we-look-after");
  assert.equal(await page.locator("#groupdescription").innerText(), "Sites-we-look-after");
  const details = await page.locator("#group-details").innerText();
  for (const v of Object.values(fields)) assert.ok(details.includes(v), `the details still show ${v}: ${details}`);
  const s = await api(page, "summary", { groupid: gid });
  assert.deepEqual([s.organization, s.area, s.visibility, s.access], ["IvyHeat", "Wales", "public", "open"]);
});

test("search, CSV link and log in as", async () => {
  // from the page with no group chosen: a member's name finds the group they are in
  await page.evaluate(() => { location.hash = ""; });
  await openGroupPage(page, "");
  assert.equal(await page.locator("#group-none").isVisible(), true);
  await page.click("#group-search");
  await page.locator("#group-search").pressSequentially("site05", { delay: 20 });
  const hit = page.locator("#group-search-results a:visible", { hasText: "site05" });
  await hit.first().waitFor({ state: "visible" });
  assert.equal(await hit.count(), 1, `one hit: ${await page.locator("#group-search-results").innerText()}`);
  assert.match(await hit.innerText(), /site05.*HeatPumpInstalls/, "the hit names the member and the group");
  assert.doesNotMatch(await page.locator("#group-search-results").innerText(), /site0[^5]|site[1-4]\d/, "only site05 matches");
  await hit.click();
  await page.waitForFunction(() => document.querySelector("#groupname")?.textContent === "HeatPumpInstalls");
  await ready(page);
  assert.equal(await page.locator("#groupname").isVisible(), true, "the group is shown");
  assert.equal(await rowOf("site05").isVisible(), true, "with site05's row");

  await rowOf("site05").locator(".eg-feeds-toggle").click();
  assert.equal(await page.locator("#group-csv").isDisabled(), true, "no CSV before a feed is ticked");
  await page.locator(`#group-feeds-${id("site05")} .eg-feed-pick`).first().check();
  assert.equal(await page.locator("#group-csv").isEnabled(), true);
  assert.match(await page.locator("#group-csv").innerText(), /1 feed/);
  const login = rowOf("site05").locator(".setuser");
  assert.equal(await login.isVisible(), true);
  const href = new URL(await login.getAttribute("href"), page.url()).href;
  assert.equal(href, `${BASE}group/setuser?groupid=${INSTALLS}&userid=${id("site05")}`);
  assert.deepEqual(browser.errors, [], "no page errors, console errors or failed requests");
});
