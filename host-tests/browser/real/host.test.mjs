// Inside real emoncms (scripts/test-browser.sh runs this once per version): what a person sees
// of the module in emoncms's own theme — the menu entry on core pages, the way back after logging
// in as a member, and buttons marked hidden staying hidden under emoncms's Bootstrap.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, BASE, VERSION, SEED as seed, screenshot } from "../harness.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A fresh context logged in as `username` through emoncms's own user/login.json. */
async function as(username) {
  await browser.context.clearCookies();
  const page = await browser.context.newPage();
  page.setDefaultTimeout(10000);
  const r = await page.request.post(`${BASE}user/login.json`, { form: { username, password: username } });
  assert.equal((await r.json()).success, true, `login ${username}`);
  return page;
}

const ADMIN_BUTTONS = ["#addmember", "#createuseraddtogroup", "#groupedit", "#deletegroup"];

async function openGroup(page, name) {
  await page.goto(`${BASE}group${name ? `#${name}` : ""}`);
  await page.waitForFunction(() => document.querySelector("#group-page")?.dataset.state === "ready", null, { timeout: 20000 });
}

test("the Groups entry is visible on a core page and opens the group page", async () => {
  const page = await as("installer");
  await page.goto(`${BASE}feed/list`);
  const entry = page.locator('a[href$="group"]:visible', { hasText: "Groups" }).first();
  await screenshot(page, `emoncms-${VERSION}-menu.png`);
  assert.equal(await entry.isVisible(), true, "Groups menu entry visible on feed/list");
  await Promise.all([page.waitForURL(/\/group(#.*)?$/), entry.click()]);
  assert.equal(await page.locator("#group-page").isVisible(), true);
  await page.close();
});

test("with no group selected, no group buttons are visible", async () => {
  const page = await as("installer");
  await page.evaluate(() => { location.hash = ""; });
  await openGroup(page, "");
  // Nothing chosen: the page shows the empty state, not a group's buttons.
  assert.equal(await page.locator("#group-none").isVisible(), true, "the empty state shows");
  for (const b of ADMIN_BUTTONS) assert.equal(await page.locator(b).isVisible(), false, `${b} hidden with no group`);
  assert.equal(await page.locator("#group-selected").isVisible(), false, "no group section");
  await page.close();
});

test("a sub-administrator does not see the administrator's buttons; the administrator does", async () => {
  const tech = await as("technician");
  await openGroup(tech, "HeatPumpInstalls");
  await screenshot(tech, `emoncms-${VERSION}-technician.png`, { fullPage: true });
  for (const b of ADMIN_BUTTONS) assert.equal(await tech.locator(b).isVisible(), false, `${b} hidden for the technician`);
  assert.equal(await tech.locator("#group-members-area").isVisible(), true, "the technician sees the member list");
  await tech.close();
  const inst = await as("installer");
  await openGroup(inst, "HeatPumpInstalls");
  for (const b of ADMIN_BUTTONS) assert.equal(await inst.locator(b).isVisible(), true, `${b} visible for the installer`);
  await inst.close();
});

test("after logging in as a member, the way back is visible and restores the administrator", async () => {
  const page = await as("installer");
  const site = seed.sites.site01;
  await page.goto(`${BASE}group/setuser?groupid=${seed.groups.installs}&userid=${site.id}`);
  await page.goto(`${BASE}feed/list`);
  const back = page.locator('a[href$="group/logasprevioususer"]:visible').first();
  await screenshot(page, `emoncms-${VERSION}-logback.png`);
  assert.equal(await back.isVisible(), true, "log-back link visible while logged in as the member");
  assert.match(await back.innerText(), /installer\s*=>\s*site01/);
  await Promise.all([page.waitForLoadState("load"), back.click()]);
  const me = await (await page.request.get(`${BASE}user/get.json`)).json();
  assert.equal(me.username, "installer", "back as the installer");
  await page.close();
});
