// The access preview's cost in Chromium (scripts/bench-browser.sh): a group of 1,000 members with
// 20 feeds each. Medians over RUNS runs (performance.now()) of
//   load:    new Engine("emoncms", <the group's snapshot as the module serves it>)
//   preview: one role change previewed as the page does it (route setuserinfo + what_if)
// The page is served from disk through Playwright's request interception: no server, no network.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { launch } from "./harness.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const statePath = process.argv[2];
const RUNS = Number(process.env.RUNS || 40);
const ORIGIN = "http://emongroups.bench/";

const TYPES = { js: "text/javascript", wasm: "application/wasm", json: "application/json", html: "text/html" };
const FILES = {
  "lib/": "php-ext/module/group/lib/",
  "preview/": "php-ext/module/group/preview/",
};

const browser = await launch();
try {
  const page = await browser.page();
  await page.route(`${ORIGIN}**`, (route) => {
    const path = new URL(route.request().url()).pathname.slice(1);
    let file = null;
    if (path === "" || path === "index.html") return route.fulfill({ contentType: TYPES.html, body: "<!doctype html><title>bench</title>" });
    if (path === "state.json") file = statePath;
    for (const [prefix, dir] of Object.entries(FILES)) if (path.startsWith(prefix)) file = root + dir + path.slice(prefix.length);
    if (!file) return route.fulfill({ status: 404, body: "" });
    return route.fulfill({ contentType: TYPES[path.split(".").pop()] || "application/octet-stream", body: readFileSync(file) });
  });
  await page.goto(ORIGIN);
  const result = await page.evaluate(async (runs) => {
    const { loadEngine, GroupPreview } = await import("/preview/engine.js");
    const wasm = await loadEngine(new URL("/lib/", location.href));
    const full = await (await fetch("/state.json")).text();
    // The group's snapshot as group/snapshot serves it to the group's administrator (user 1).
    const whole = new wasm.Engine("emoncms", full);
    const redacted = JSON.parse(whole.handle(JSON.stringify({ v: 1, op: "redact", viewer: 1, group: 1 })));
    whole.free();
    const state = redacted.result.state;
    const text = JSON.stringify(state);
    const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
    const time = (f) => { const t = performance.now(); f(); return performance.now() - t; };

    const load = [];
    for (let i = 0; i < 5; i++) new wasm.Engine("emoncms", text).free(); // warm-up
    for (let i = 0; i < runs; i++) { let e; load.push(time(() => { e = new wasm.Engine("emoncms", text); })); e.free(); }

    const session = { userid: 1, read: true, write: true, admin: false, apikey: false, username: "user1" };
    const p = new GroupPreview(wasm, { groupid: 1, viewer: 1, state }, session, text);
    const passive = p.members.filter((u) => p.roles.get(u).role === 0 && p.roles.get(u).admin_rights === "full");
    const run = (role, everyone) => {
      const xs = [];
      for (let i = 0; i < runs + 5; i++) {
        const uid = passive[i % passive.length];
        const params = { groupid: "1", userid: String(uid), role: String(role) };
        xs.push(time(() => {
          if (everyone) {
            const r = p.engine.route("setuserinfo", session, params, {}, 1700000000);
            p.whatIf(r.changes, p.everyone(r.changes));
          } else {
            const r = p.preview("setuserinfo", params);
            if (!r.diff) throw new Error(JSON.stringify(r));
          }
        }));
      }
      return median(xs.slice(5));
    };
    const out = {
      members: p.members.length,
      feeds: state.feeds.length,
      snapshotBytes: text.length,
      staff: p.members.filter((u) => [1, 2].includes(p.roles.get(u).role)).length,
      load: median(load),
      loadMin: Math.min(...load),
      preview: run(3, false),
      previewAllMembers: run(3, true),
      previewToSubadmin: run(2, false),
    };
    p.free();
    return out;
  }, RUNS);
  const f = (x) => x.toFixed(2);
  console.log(`group: ${result.members} members, ${result.feeds} feeds, ${result.staff} administrators and sub-administrators; snapshot ${(result.snapshotBytes / 1e6).toFixed(2)} MB of JSON; ${RUNS} runs each, medians (Chromium ${browser.context.browser()?.version() ?? ""})`);
  console.log(`  load snapshot into Engine         ${f(result.load)} ms   (min ${f(result.loadMin)}; target <= 20 ms)`);
  console.log(`  preview: role change, as the page ${f(result.preview)} ms   (route + what_if on the people it can change; target <= 5 ms)`);
  console.log(`  preview, what_if over all members ${f(result.previewAllMembers)} ms`);
  console.log(`  preview: passive -> sub-admin     ${f(result.previewToSubadmin)} ms   (the new sub-administrator gains 20,000 feeds)`);
} finally {
  await browser.close();
}
