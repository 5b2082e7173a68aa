// The playground (php-ext/module/group/playground/, served as Modules/group/playground/): every example loads, checks and what-ifs
// answer with decisions and reasons, a broken snapshot is reported, not thrown.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, BASE, screenshot } from "./harness.mjs";

let browser;
let page;

before(async () => {
  browser = await launch();
  page = await browser.page();
  page.setDefaultTimeout(8000);
  await page.goto(`${BASE}Modules/group/playground/index.html`);
  await page.waitForFunction(() => /^loaded/.test(document.getElementById("pg-status").textContent));
});

after(async () => {
  await browser?.close();
});

test("emoncms example: a check with its reason and chain, a what-if person by person", async () => {
  await page.click("#pg-check");
  assert.match(await page.textContent("#pg-decision .verdict"), /not allowed/);
  assert.equal(await page.textContent("#pg-decision .pg-reason"), "read_only_rights");
  assert.match(await page.textContent("#pg-decision"), /the group has only read rights over this member's account/);
  await page.click("#pg-whatif");
  assert.deepEqual(await page.$$eval("#pg-diff li[data-user]", (els) => els.map((e) => e.dataset.user)), ["1", "3"]);
  // edit the question: the installer may read site01's feeds
  await page.fill("#pg-actor", "1");
  await page.fill("#pg-action", "feed.read");
  await page.fill("#pg-object", '{"feed":10}');
  await page.press("#pg-object", "Enter");
  assert.equal(await page.textContent("#pg-decision .pg-reason"), "role_permits");
});

for (const [id, profile, verdict] of [["home", "home", /not allowed/], ["buildings", "buildings", /allowed/]]) {
  test(`${id} example: loads, checks, what-ifs`, async () => {
    await page.click(`button[data-example=${id}]`);
    await page.waitForFunction((p) => window.playground.profile === p && /^loaded/.test(document.getElementById("pg-status").textContent), profile);
    await page.click("#pg-check");
    assert.match(await page.textContent("#pg-decision .verdict"), verdict);
    assert.ok((await page.textContent("#pg-decision .pg-reason")).length > 0);
    await page.click("#pg-whatif");
    assert.ok((await page.locator("#pg-diff li[data-user]").count()) >= 1);
  });
}

test("a wrong snapshot or request is an answer, not a crash", async () => {
  await page.click("button[data-example=emoncms]");
  await page.waitForFunction(() => window.playground.profile === "emoncms");
  await page.fill("#pg-state", '{"groups":[{"id":1,"name":"a"},{"id":1,"name":"b"}]}');
  await page.click("#pg-load");
  await page.waitForFunction(() => /^not loaded/.test(document.getElementById("pg-status").textContent));
  assert.match(await page.textContent("#pg-status"), /invalid_state/);
  await page.click("button[data-example=emoncms]");
  await page.waitForFunction(() => /^loaded/.test(document.getElementById("pg-status").textContent));
  await page.fill("#pg-raw", '{"v":1,"op":"who_can","action":"feed.read","feed":10}');
  await page.click("#pg-send");
  assert.deepEqual(JSON.parse(await page.textContent("#pg-raw-out")), { ok: true, result: { everyone: false, users: [1, 2, 3, 5] } });
  await page.fill("#pg-raw", '{"v":1,"op":"nope"}');
  await page.click("#pg-send");
  assert.equal(JSON.parse(await page.textContent("#pg-raw-out")).error.code, "unknown_op");
  await screenshot(page, "playground.png", { fullPage: true });
  assert.deepEqual(browser.errors, []);
});
