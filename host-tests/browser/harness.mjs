// Shared by the browser tests: Debian's Chromium through playwright-core, a fresh profile per
// run, logins through the login page of the real emoncms that scripts/test-browser.sh started and
// seeded with host-tests/emoncms/seed.php (EMONGROUPS_BASE, EMONCMS_VERSION, and the seed's ids
// and passwords in EMONGROUPS_SEED).
import { before, after, afterEach } from "node:test";
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const BASE = process.env.EMONGROUPS_BASE || "http://127.0.0.1:8080/";
export const VERSION = process.env.EMONCMS_VERSION || "emoncms";
export const OUT = fileURLToPath(new URL("../out/", import.meta.url));
export const PLACEHOLDER = 2147480000;

/**
 * The `demo` story host-tests/emoncms/seed.php wrote (seed.json): logins, sites, houses and groups
 * with their ids, API keys and passwords.
 */
export const SEED = process.env.EMONGROUPS_SEED ? JSON.parse(readFileSync(process.env.EMONGROUPS_SEED, "utf8")).demo : null;

/** A seeded account by its username: { id, username, password, … }. */
export function account(username) {
  if (!SEED) throw new Error("EMONGROUPS_SEED names no seed.json (scripts/test-browser.sh sets it)");
  const a = SEED.logins[username] || SEED.sites[username] || SEED.houses[username];
  if (!a) throw new Error(`the seed has no account ${username}`);
  return a;
}

/**
 * Requests that fail because of emoncms's own files, not the module's: 11.x's
 * Theme/css/emoncms-base.css asks for url(ajax-loader.gif) beside itself, but the image is
 * Theme/ajax-loader.gif (Apache answers 404; host-tests/emoncms/router.php hands the path to
 * index.php, which answers 406).
 */
const EMONCMS_OWN_MISSING = [/\/Theme\/css\/ajax-loader\.gif$/];

const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** A browser with a fresh user-data-dir; close() removes it. */
export async function launch() {
  const dir = mkdtempSync(join(tmpdir(), "emongroups-chromium-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const errors = [];
  context.on("page", (p) => watch(p, errors));
  for (const p of context.pages()) watch(p, errors);
  return {
    context,
    errors,
    async page() {
      const p = context.pages()[0] || (await context.newPage());
      return p;
    },
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function watch(page, errors) {
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  // failed requests are reported (with their URL) by the response handler below
  page.on("console", (m) => { if (m.type() === "error" && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`); });
  page.on("response", (r) => {
    if (r.status() >= 400 && !/favicon/.test(r.url()) && !EMONCMS_OWN_MISSING.some((re) => re.test(r.url()))) errors.push(`HTTP ${r.status()} ${r.url()}`);
  });
}

/**
 * Logs in through emoncms's own login page as a person does: its script posts user/login.json and
 * then moves to the user's starting page (on 10.x an empty one reloads user/login, now with the
 * session). Waits for that answer and that navigation, then asks user/get.json whose session it is.
 */
export async function login(page, username, password = SEED ? account(username).password : username) {
  await page.goto(`${BASE}user/login`);
  await page.fill("input[name=username]", username);
  await page.fill("input[name=password]", password);
  await Promise.all([
    page.waitForNavigation({ timeout: 30000 }),
    page.waitForResponse((r) => new URL(r.url()).pathname.endsWith("/user/login.json"), { timeout: 30000 }),
    page.click("button[type=submit]"),
  ]);
  const me = await (await page.request.get(`${BASE}user/get.json`)).json();
  if (me?.username !== username) throw new Error(`not logged in as ${username} after the login page: ${JSON.stringify(me).slice(0, 200)}`);
}

/** Waits until the group page has loaded the selected group (and its preview engine). */
export async function ready(page) {
  await page.waitForFunction(() => document.querySelector("#group-page")?.dataset.state === "ready", null, { timeout: 20000 });
}

/**
 * Opens the group page on the group `name` (none when empty) as a fresh load, so that the group
 * list is read again: from the group page itself, going to another #name only changes the hash.
 */
export async function openGroupPage(page, name) {
  const url = `${BASE}group${name ? `#${encodeURIComponent(name)}` : ""}`;
  const sameDocument = page.url().split("#")[0] === url.split("#")[0];
  await page.goto(url);
  if (sameDocument) await page.reload();
  await ready(page);
}

/** A module route with the page's session (JSON), asked from inside the page. */
export function api(page, route, params = {}) {
  return page.evaluate(async ([route, params]) => {
    const q = new URLSearchParams(params);
    const r = await fetch(`${window.GROUP_CONFIG.path}group/${route}.json?${q}`,
      { credentials: "same-origin", headers: { "X-Emongroups-Csrf": window.GROUP_CONFIG.csrf || "" } });
    return r.json();
  }, [route, params]);
}

/**
 * A module route with the browser's session, asked beside the page (page.request shares its
 * cookies): works whatever the page shows, so a test's cleanup can use it after a failure.
 */
export async function call(page, route, params = {}) {
  // The session's request token, as a script reads it: from any group answer.
  const token = (await page.request.get(`${BASE}group/grouplist.json`)).headers()["x-emongroups-csrf"] || "";
  const r = await page.request.get(`${BASE}group/${route}.json?${new URLSearchParams(params)}`,
    { headers: { "X-Emongroups-Csrf": token } });
  return r.json();
}

export async function screenshot(page, name, options = {}) {
  mkdirSync(OUT, { recursive: true });
  const path = join(OUT, name);
  await page.screenshot({ path, ...options });
  return path;
}

/** A browser with one page logged in as `username`, on the group page of `groupName` when given. */
export async function session(username, groupName) {
  const browser = await launch();
  const page = await browser.page();
  page.setDefaultTimeout(8000);
  await login(page, username);
  if (groupName) await openGroupPage(page, groupName);
  return { browser, page };
}

/**
 * The hooks of a test file that works on one logged-in page: the session opens before the tests
 * (`use` receives `{ browser, page }`), a dialog a failed test left open is closed after each
 * test so it does not cover the next, and the browser closes at the end.
 */
export function useSession(username, groupName, use) {
  let current = null;
  before(async () => {
    current = await session(username, groupName);
    use(current);
  });
  afterEach(async () => {
    const page = current?.page;
    for (let i = 0; page && i < 3 && (await page.locator(".eg-modal[open]").count()); i++) await page.keyboard.press("Escape");
  });
  after(async () => {
    await current?.browser.close();
  });
}
