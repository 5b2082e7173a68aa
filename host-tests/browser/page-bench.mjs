// What a person waits for (scripts/bench-page.sh): the group page of a group of 1,000 members ×
// 20 feeds inside real emoncms, opened in Debian's Chromium by the group's administrator, timed
// from navigation start (performance.timeOrigin) to the page's mark "emongroups:preview-ready"
// (group.js: the WebAssembly engine fetched, compiled and instantiated, the group's snapshot
// fetched and loaded into it, so the access preview is usable).
//
// Every round is a fresh page (a new tab of the same logged-in browser profile) on group#<name>:
//   cold  the HTTP cache (and the compiled-code cache beside it) emptied first (CDP
//         Network.clearBrowserCache): a first visit
//   warm  the cache as a returning user has it (after BENCH_WARMUP visits of the page)
// Breakdown from the page's performance entries: navigation → DOMContentLoaded, the snapshot's
// request (resource timing, start to responseEnd), the engine package (measure emongroups:wasm,
// from the page asking for it to instantiated), the engine load (measure emongroups:engine-load),
// and the page ready (#group-page data-state="ready", the member list and matrix drawn).
//
//   EMONGROUPS_BASE=URL node page-bench.mjs --bulk=bulk.json   (BENCH_ROUNDS=15 BENCH_WARMUP=2 BENCH_TARGET=200)
// Prints one line per phase and a closing line `bench/page: …`; exits 1 when the warm median
// misses the target, unless BENCH_NO_TARGETS=1.
import { readFileSync } from "node:fs";
import { launch, login } from "./harness.mjs";

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, "").split(/=(.*)/s).slice(0, 2)));
// harness.mjs logs in at EMONGROUPS_BASE; the page is opened on the same server.
const BASE = process.env.EMONGROUPS_BASE;
const bulk = JSON.parse(readFileSync(args.bulk, "utf8"));
const ROUNDS = Number(process.env.BENCH_ROUNDS || 15);
const WARMUP = Number(process.env.BENCH_WARMUP || 2);
const TARGET = Number(process.env.BENCH_TARGET || 200);
const group = bulk.groups[0];
const admin = bulk.groupadmin;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : "—");

/** One fresh page on the group: the timings of its load, read from its performance entries. */
async function visit(context, clearCache) {
  const page = await context.newPage();
  try {
    if (clearCache) {
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.clearBrowserCache");
      await cdp.detach();
    }
    await page.goto(`${BASE}group#${encodeURIComponent(group.name)}`, { waitUntil: "commit" });
    await page.waitForFunction(() => performance.getEntriesByName("emongroups:preview-ready").length > 0
      || window.groupPage?.previewError, null, { timeout: 60000, polling: 5 });
    const error = await page.evaluate(() => window.groupPage?.previewError);
    if (error) throw new Error(`the page has no preview: ${error}`);
    await page.waitForFunction(() => document.querySelector("#group-page")?.dataset.state === "ready", null, { timeout: 60000, polling: 5 });
    return await page.evaluate(() => {
      const one = (name) => performance.getEntriesByName(name)[0];
      const nav = performance.getEntriesByType("navigation")[0];
      const res = (re) => performance.getEntriesByType("resource").find((r) => re.test(r.name));
      const snapshot = res(/\/group\/snapshot\.json\?/);
      const wasmFile = res(/\.wasm(\?|$)/);
      const wasm = one("emongroups:wasm");
      const load = one("emongroups:engine-load");
      const ready = one("emongroups:preview-ready");
      const pageReady = one("emongroups:page-ready");
      return {
        ready: ready.startTime,
        dcl: nav.domContentLoadedEventEnd,
        html: nav.responseEnd,
        snapshotStart: snapshot?.startTime, snapshotEnd: snapshot?.responseEnd,
        snapshotBytes: snapshot?.encodedBodySize, snapshotTransfer: snapshot?.transferSize,
        wasmStart: wasm?.startTime, wasmEnd: wasm ? wasm.startTime + wasm.duration : NaN,
        wasmFileStart: wasmFile?.startTime, wasmFileEnd: wasmFile?.responseEnd, wasmTransfer: wasmFile?.transferSize,
        wasmBytes: wasmFile?.encodedBodySize,
        loadStart: load?.startTime, load: load?.duration,
        members: window.groupPage.preview.members.length,
        feeds: window.groupPage.preview.feeds.size,
        pageReady: pageReady?.startTime,
        // BENCH_VERBOSE=1: the page's requests and its own entries, in order.
        waterfall: [
          ...performance.getEntriesByType("resource").map((r) => ({ at: r.startTime, end: r.responseEnd, what: `${r.initiatorType} ${r.name.replace(location.origin, "")} ${r.transferSize}B` })),
          ...performance.getEntriesByType("measure").filter((m) => m.name.startsWith("emongroups:")).map((m) => ({ at: m.startTime, end: m.startTime + m.duration, what: m.name })),
          ...performance.getEntriesByType("mark").filter((m) => m.name.startsWith("emongroups:")).map((m) => ({ at: m.startTime, end: m.startTime, what: m.name })),
          { at: 0, end: nav.responseEnd, what: "document" }, { at: nav.domContentLoadedEventEnd, end: nav.domContentLoadedEventEnd, what: "DOMContentLoaded" },
        ].sort((a, b) => a.at - b.at),
      };
    });
  } finally {
    await page.close();
  }
}

function report(kind, runs) {
  const m = (key) => median(runs.map(key));
  const line = [
    `preview ready ${f0(m((r) => r.ready))} ms`,
    `(min ${f0(Math.min(...runs.map((r) => r.ready)))}, max ${f0(Math.max(...runs.map((r) => r.ready)))})`,
    `| DOMContentLoaded ${f0(m((r) => r.dcl))}`,
    `| snapshot ${f0(m((r) => r.snapshotStart))}→${f0(m((r) => r.snapshotEnd))} (${f0(m((r) => r.snapshotEnd - r.snapshotStart))})`,
    `| wasm ${f0(m((r) => r.wasmStart))}→${f0(m((r) => r.wasmEnd))} (${f0(m((r) => r.wasmEnd - r.wasmStart))}; file ${f0(m((r) => r.wasmFileEnd - r.wasmFileStart))}, ${f0(m((r) => r.wasmTransfer) / 1024)} KiB over the wire)`,
    `| engine load ${f0(m((r) => r.loadStart))}+${f0(m((r) => r.load))}`,
    `| page ready ${f0(m((r) => r.pageReady))}`,
  ];
  console.log(`bench/page ${kind.padEnd(4)}: ${line.join(" ")}`);
  if (process.env.BENCH_VERBOSE === "1") {
    const last = runs[runs.length - 1];
    for (const w of last.waterfall) console.log(`  ${f0(w.at).padStart(5)} → ${f0(w.end).padStart(5)}  ${w.what}`);
  }
  return m((r) => r.ready);
}

const browser = await launch();
let status = 0;
try {
  const first = await browser.page();
  first.setDefaultTimeout(30000);
  await login(first, admin.username, admin.password);
  const probe = await visit(browser.context, true);
  console.log(`bench/page: group ${group.name}: ${probe.members} people in the preview (the administrator + members), ${probe.feeds} feeds; snapshot ${(probe.snapshotBytes / 1e6).toFixed(2)} MB, engine ${(probe.wasmBytes / 1e3).toFixed(0)} kB; ${ROUNDS} rounds each; Chromium ${browser.context.browser()?.version() ?? ""}`);
  console.log("bench/page: times in ms from navigation start (performance.timeOrigin); a→b (b-a) is a phase's start, end and length; medians");

  const cold = [];
  for (let i = 0; i < ROUNDS; i++) cold.push(await visit(browser.context, true));
  const warm = [];
  for (let i = 0; i < WARMUP; i++) await visit(browser.context, false);
  for (let i = 0; i < ROUNDS; i++) warm.push(await visit(browser.context, false));

  const coldMedian = report("cold", cold);
  const warmMedian = report("warm", warm);
  const met = warmMedian <= TARGET;
  const verdict = met ? "met" : "MISSED";
  console.log(`bench/page: preview ready median ${f0(warmMedian)} ms warm (target ${TARGET}: ${verdict}), ${f0(coldMedian)} ms cold; ${ROUNDS} rounds, 1 group × ${bulk.counts.members} members × ${bulk.counts.feeds / bulk.counts.members} feeds`);
  if (!met && process.env.BENCH_NO_TARGETS !== "1") status = 1;
} finally {
  await browser.close();
}
process.exit(status);
