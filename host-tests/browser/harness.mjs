// Shared by the browser tests: Debian's Chromium through playwright-core, a fresh profile per
// run, logins on the demo host that scripts/test-browser.sh started (EMONGROUPS_BASE).
import { before, after, afterEach } from "node:test";
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const BASE = process.env.EMONGROUPS_BASE || "http://127.0.0.1:8080/";
export const OUT = fileURLToPath(new URL("../out/", import.meta.url));
export const PLACEHOLDER = 2147480000;

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
  page.on("response", (r) => { if (r.status() >= 400 && !/favicon/.test(r.url())) errors.push(`HTTP ${r.status()} ${r.url()}`); });
}

export async function login(page, username, password = username) {
  await page.goto(`${BASE}user/login`);
  await page.fill("input[name=username]", username);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
}

/** Waits until the group page has loaded the selected group (and its preview engine). */
export async function ready(page) {
  await page.waitForFunction(() => document.querySelector("#group-page")?.dataset.state === "ready", null, { timeout: 20000 });
}

export async function openGroupPage(page, name) {
  await page.goto(`${BASE}group${name ? `#${name}` : ""}`);
  await ready(page);
}

/** A module route with the page's session (JSON). */
export function api(page, route, params = {}) {
  return page.evaluate(async ([route, params]) => {
    const q = new URLSearchParams(params);
    const r = await fetch(`${window.GROUP_CONFIG.path}group/${route}.json?${q}`, { credentials: "same-origin" });
    return r.json();
  }, [route, params]);
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
