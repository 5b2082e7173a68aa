// Keyboard-only use of the access preview and of the view-as matrix inside real emoncms, as the
// installer of the seeded story on HeatPumpInstalls: Tab, Enter and Escape reach every control,
// focus is always visible, and every matrix cell tells its reason on focus (and on hover) through
// aria-describedby. Nothing is saved: the group stays as seeded for the files after this one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useSession, screenshot, api, account, SEED } from "./harness.mjs";

let browser;
let page;
useSession("installer", "HeatPumpInstalls", (s) => ({ browser, page } = s));

const id = (username) => String(account(username).id);

/**
 * What has the focus, and whether its focus can be seen: the module's own ring, an outline of
 * 2 px or more (also on the fields whose outline emoncms's Bootstrap takes away:
 * input[type=email]:focus, input[type=password]:focus … { outline: 0 }).
 */
function focused() {
  return page.evaluate(() => {
    const e = document.activeElement;
    const s = getComputedStyle(e);
    const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
    return {
      id: e.id, tag: e.tagName, text: (e.textContent || "").trim().slice(0, 60), title: e.title,
      cls: e.className, inDialog: !!e.closest("dialog[open]"), row: e.closest("tr")?.dataset.userid ?? null,
      ring: outline,
      described: e.getAttribute("aria-describedby") ? document.getElementById(e.getAttribute("aria-describedby"))?.textContent : null,
      tipShown: e.querySelector(".eg-tip") ? getComputedStyle(e.querySelector(".eg-tip")).display !== "none" : null,
    };
  });
}

async function tabUntil(predicate, limit = 400, key = "Tab") {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press(key);
    const f = await focused();
    if (predicate(f)) return f;
  }
  throw new Error("never reached");
}

test("Tab reaches a member's Edit button; Enter opens the dialog with its preview; every control is reachable with a visible focus; Escape closes and gives focus back", async (t) => {
  await page.focus("#group-search");
  // site10 is a passive member with full rights: its row has Edit, Remove, Log in as
  const edit = await tabUntil((f) => f.title === "Edit user" && f.row === id("site10"), 200);
  assert.ok(edit.ring, "the Edit button shows its focus");
  const rowUser = await page.evaluate(() => document.activeElement.closest("tr").dataset.userid);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#group-edituser-modal[open]");
  let f = await focused();
  assert.equal(f.id, "group-edituser-role", "the dialog opens on the role");
  assert.ok(f.ring, "the role select shows its focus");
  // choose a role with the keyboard: ArrowDown on a closed select changes it in Chromium
  await page.keyboard.press("ArrowDown");
  const role = await page.inputValue("#group-edituser-role");
  assert.equal(role, "1", "ArrowDown picks the next role");
  await page.waitForFunction(() => document.querySelector("#group-edituser-modal .eg-person"));
  assert.match(await page.locator("#group-edituser-modal .eg-preview").innerText(), /access changes/);
  // Tab around the whole dialog: every control gets the focus, visibly, and focus never leaves it
  const controls = await page.$$eval("#group-edituser-modal :is(input, select, textarea, button, summary)", (els) =>
    els.filter((e) => e.offsetParent !== null).map((e) => e.id || e.textContent.trim().slice(0, 40)));
  const seen = new Set();
  for (let i = 0; i < controls.length + 4; i++) {
    await page.keyboard.press("Tab");
    f = await focused();
    if (f.tag === "BODY") continue; // the browser's own UI between the last and the first control
    assert.ok(f.inDialog, `focus stays in the dialog (${f.tag} ${f.id})`);
    assert.ok(f.ring, `focus is visible on ${f.tag} ${f.id || f.text}`);
    seen.add(f.id || f.text);
  }
  for (const c of controls) assert.ok(seen.has(c), `Tab reaches ${c}`);
  // a folded list of the preview opens with Enter
  const summary = page.locator("#group-edituser-modal .eg-preview summary").first();
  if (await summary.count()) {
    await summary.focus();
    await page.keyboard.press("Enter");
    assert.equal(await page.locator("#group-edituser-modal .eg-preview details[open]").count(), 1);
  }
  await screenshot(page, "keyboard-preview.png");
  await page.keyboard.press("Escape");
  await page.waitForSelector("#group-edituser-modal", { state: "hidden" });
  f = await focused();
  assert.equal(f.title, "Edit user", "focus returns to the Edit button");
  assert.equal(await page.evaluate(() => document.activeElement.closest("tr").dataset.userid), rowUser);
  // nothing was saved
  assert.equal(await page.locator(`tr.user-info[data-userid="${rowUser}"] .user-role`).innerText(), "Passive member");
});

test("the remove and delete dialogs work from the keyboard too", async () => {
  await page.focus("#deletegroup");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#group-delete-modal[open]");
  let f = await focused();
  assert.equal(f.id, "delete-group-action");
  assert.ok(f.ring, "the Delete button of the dialog shows its focus");
  // passive members have nothing in the group to lose; everyone with a role 1–4 (the installer
  // and the technician) loses it all
  const losing = (await api(page, "userlist", { groupid: SEED.groups.installs })).filter((u) => u.role >= 1 && u.role <= 4);
  assert.deepEqual(losing.map((u) => u.username).sort(), ["installer", "technician"]);
  assert.match(await page.locator("#group-delete-modal .eg-preview").innerText(), new RegExp(`${losing.length} people's access changes`));
  assert.deepEqual(await page.locator("#group-delete-modal .eg-person .eg-person-name strong:visible").allInnerTexts(), losing.map((u) => u.username),
    "the people who lose the group are named");
  await page.keyboard.press("Shift+Tab");
  f = await focused();
  assert.equal(f.text, "Cancel");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#group-delete-modal", { state: "hidden" });
  assert.equal((await focused()).id, "deletegroup");

  const remove = page.locator(`tr.user-info[data-userid="${id("site12")}"] [title="Remove user"]`);
  await remove.focus();
  await page.keyboard.press("Enter");
  await page.waitForSelector("#group-removeuser-modal[open]");
  f = await focused();
  assert.equal(f.id, "removeuser-from-group");
  await page.keyboard.press("ArrowDown"); // the radio group: delete the account instead
  assert.equal(await page.isChecked("#removeuser-delete"), true);
  await page.waitForFunction(() => /deleted permanently|will refuse/.test(document.querySelector("#group-removeuser-modal .eg-preview").textContent));
  // site12 is also in the research project, so its account may not be deleted from here. The
  // preview cannot know (its facts hold nothing about other groups) and says the server checks;
  // confirming shows the server's refusal, and nothing changes.
  assert.match(await page.locator("#group-removeuser-modal .eg-preview").innerText(),
    /unless site12 belongs to another group or is a site administrator: the server checks that when you confirm/);
  await page.focus("#remove-user-action");
  await page.evaluate(() => { window.groupPage.lastSave = null; });
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => window.groupPage.lastSave);
  const refusal = page.locator("#group-removeuser-modal .eg-error");
  assert.equal(await refusal.isVisible(), true, "the server's refusal is shown");
  assert.equal((await refusal.innerText()).trim(), "Cannot delete the account of a user who belongs to other groups");
  await page.keyboard.press("Escape");
  await page.waitForSelector("#group-removeuser-modal", { state: "hidden" });
  assert.equal((await focused()).title, "Remove user");
  assert.equal(await page.locator(`tr.user-info[data-userid="${id("site12")}"]`).isVisible(), true, "site12 is still listed");
});

test("view-as matrix: one Tab stop, arrow keys, and the reason on focus and on hover", async () => {
  await page.selectOption("#group-viewas", id("installer"));
  await page.focus("#group-viewas");
  await page.keyboard.press("Tab");
  let f = await focused();
  assert.ok(f.cls.includes("eg-cell"), `Tab enters the grid (${f.tag} ${f.cls})`);
  assert.ok(f.ring, "the focused cell shows its focus");
  assert.ok(f.tipShown, "the reason is shown on focus");
  assert.match(f.described, /^[a-z_]+: .+/, "aria-describedby gives the reason code and its sentence");
  // the technician's row: the installer may read its feeds but not take over its account
  const row = page.locator(`#group-matrix-viewas tr[data-user="${id("technician")}"]`);
  const cells = row.locator("[role=gridcell]");
  await cells.nth(0).focus();
  f = await focused();
  assert.equal(f.described, "role_permits: the role in the group allows it");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight"); // Edit account
  f = await focused();
  assert.equal(f.described, "target_is_administrator: the target administers a group; accounts of administrators are never taken over");
  assert.ok(f.tipShown, "the reason is shown on focus");
  await page.keyboard.press("ArrowDown"); // the next member (site01), Edit account
  f = await focused();
  assert.equal(f.described, "role_permits: the role in the group allows it");
  assert.ok(f.tipShown, "the reason is shown on focus");
  // a sub-administrator's view: no account actions, with the reason
  await page.selectOption("#group-viewas", id("technician"));
  const cell = page.locator(`#group-matrix-viewas tr[data-user="${id("site12")}"] [role=gridcell]`).nth(4);
  await cell.hover();
  assert.equal(await cell.locator(".eg-tip").isVisible(), true, "the reason shows on hover");
  assert.equal(await cell.locator(".eg-tip").innerText(), "not_group_admin: only group administrators may do this");
  assert.equal(await cell.locator(".eg-mark").innerText(), "✘");
  await cell.focus();
  await screenshot(page, "matrix-focus.png");
  // the group matrix: the technician may list members but not edit the group
  const tech = page.locator(`#group-matrix-group tr[data-user="${id("technician")}"] [role=gridcell]`);
  assert.equal(await tech.nth(3).locator(".eg-mark").innerText(), "✔", "Member list: allowed");
  assert.equal(await tech.nth(5).locator(".eg-mark").innerText(), "✘", "Edit group: not allowed");
  await tech.nth(5).hover();
  assert.equal(await tech.nth(5).locator(".eg-tip").innerText(), "not_group_admin: only group administrators may do this");
  // one Tab leaves the grid
  await cell.focus();
  await page.keyboard.press("Tab");
  f = await focused();
  assert.ok(!f.cls.includes("eg-cell"), "a single Tab stop per grid");
  assert.deepEqual(browser.errors, []);
});
