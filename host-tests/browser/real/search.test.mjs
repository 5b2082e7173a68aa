// Inside real emoncms (scripts/test-browser.sh runs this once per version): the page's member
// search as a person uses it. It asks the server (group/search.json?term=…) for the first hits and
// never downloads group/mygroups.json (every group with every member's feeds).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { launch, BASE, screenshot } from "../harness.mjs";

const VERSION = process.env.EMONCMS_VERSION || "emoncms";
const seed = JSON.parse(readFileSync(process.env.EMONGROUPS_SEED, "utf8")).demo;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The group page as `username`, with every request the page makes recorded. */
async function pageAs(username) {
  await browser.context.clearCookies();
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15000);
  const r = await page.request.post(`${BASE}user/login.json`, { form: { username, password: username } });
  assert.equal((await r.json()).success, true, `login ${username}`);
  const requests = [];
  page.on("request", (req) => requests.push(req.url()));
  await page.goto(`${BASE}group`);
  await page.waitForFunction(() => document.querySelector("#group-page")?.dataset.state === "ready", null, { timeout: 20000 });
  return { page, requests };
}

/** Types a term as a person does and waits for the server's answer to that term. */
async function searchFor(page, term) {
  const box = page.locator("#group-search");
  await box.fill("");
  const answered = page.waitForResponse((r) => r.url().includes("group/search.json") && new URL(r.url()).searchParams.get("term") === term);
  await box.click();
  await box.pressSequentially(term, { delay: 20 });
  const response = await answered;
  assert.equal(response.status(), 200, "group/search.json answers 200");
  return response;
}

const hits = (page) => page.locator("#group-search-results a:visible");

test("typing a tag value lists the matching sites, each with its group, from group/search.json", async () => {
  const { page, requests } = await pageAs("installer");
  await searchFor(page, "ground-source");
  const want = Object.keys(seed.sites).filter((_, i) => (i + 1) % 3 === 0).sort();   // seed.php: site n is ground-source when 3 divides n
  await page.waitForFunction((n) => document.querySelectorAll("#group-search-results a").length === n, want.length);
  const shown = (await hits(page).allInnerTexts()).map((s) => s.trim());
  await screenshot(page, `emoncms-${VERSION}-search.png`);
  assert.equal(shown.length, want.length, `${want.length} hits visible (${shown.join(" | ")})`);
  for (const name of want) {
    assert.ok(shown.some((s) => s.startsWith(`${name} (`) && s.endsWith("— HeatPumpInstalls")), `${name} listed with its group`);
  }
  assert.deepEqual(requests.filter((u) => u.includes("group/mygroups")), [], "the page never downloads mygroups");
  assert.ok(requests.some((u) => u.includes("group/search.json?term=ground-source")), "it asked group/search.json");
  await page.close();
});

test("a broad term shows the first 20 hits and says how many more there are", async () => {
  const { page, requests } = await pageAs("installer");
  await searchFor(page, "site");
  await page.waitForFunction(() => document.querySelectorAll("#group-search-results a").length > 0);
  assert.equal(await hits(page).count(), 20, "20 hits visible");
  const more = page.locator("#group-search-results li.muted", { hasText: "20 more" });
  assert.equal(await more.isVisible(), true, "“… and 20 more” is visible (40 sites match)");
  assert.deepEqual(requests.filter((u) => u.includes("group/mygroups")), [], "no mygroups");
  await page.close();
});

test("choosing a hit opens its group with the member's row shown", async () => {
  const { page } = await pageAs("researcher");
  await searchFor(page, "site07");
  const hit = hits(page).first();
  await hit.waitFor({ state: "visible" });
  assert.match((await hit.innerText()).trim(), /^site07 \(Site 7\) — HeatPumpStudy$/);
  await hit.click();
  await page.waitForFunction(() => document.querySelector("#groupname")?.textContent === "HeatPumpStudy");
  // The row is marked once the group has loaded (members, then the access preview).
  const row = page.locator(`#group-members tr.user-info.eg-hit[data-userid="${seed.sites.site07.id}"]`);
  await row.waitFor({ state: "visible" });
  assert.equal(await row.isVisible(), true, "site07's row is visible");
  const shade = await row.locator("td").first().evaluate((td) => getComputedStyle(td).backgroundColor);
  assert.equal(shade, "rgb(255, 246, 213)", "and shaded as the hit");
  assert.equal(await page.locator("#groupname").isVisible(), true);
  await page.close();
});

test("a term nobody matches, and members the caller may not list, say so", async () => {
  const { page } = await pageAs("installer");
  await searchFor(page, "nobody-is-called-this");
  const none = page.locator("#group-search-results", { hasText: "No member matches." });
  await none.waitFor({ state: "visible" });
  assert.equal(await hits(page).count(), 0);
  await page.close();
  // The observer of SolarVillage does not see its member list (as mygroups does not give it).
  const obs = await pageAs("observer");
  await searchFor(obs.page, "house");
  await obs.page.locator("#group-search-results", { hasText: "No member matches." }).waitFor({ state: "visible" });
  assert.equal(await hits(obs.page).count(), 0, "no household listed for the observer");
  await obs.page.close();
});
