// The playground: the emongroups WebAssembly engine (the group module's copy under
// Modules/group/lib/) on a snapshot typed or picked here. Plain ES module, no build step.
import { EXAMPLES } from "./examples.js";
import { explain } from "../preview/reasons.js";

const $ = (id) => document.getElementById(id);
let wasm = null;
let engine = null;
let loadedProfile = null;

function show(el, ...children) {
  el.replaceChildren(...children.map((c) => (typeof c === "string" ? document.createTextNode(c) : c)));
}
function node(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function pretty(v) {
  return JSON.stringify(v, null, 1);
}
function parse(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not JSON: ${e.message}`);
  }
}

/** One wire request on the loaded engine; answers the parsed answer. */
function ask(request) {
  if (!engine) throw new Error("load a snapshot first");
  return JSON.parse(engine.handle(JSON.stringify({ v: 1, profile: loadedProfile, ...request })));
}

function failure(el, error) {
  show(el, node("p", "err", error.message || String(error)));
}

async function load() {
  const status = $("pg-status");
  try {
    if (!wasm) {
      wasm = await import("../lib/index.js");
      await wasm.init();
    }
    const profile = $("pg-profile").value;
    const text = $("pg-state").value;
    parse(text, "the state");
    const t0 = performance.now();
    const next = new wasm.Engine(profile, text);
    const ms = performance.now() - t0;
    if (engine) engine.free();
    engine = next;
    loadedProfile = profile;
    const catalog = JSON.parse(wasm.call(JSON.stringify({ v: 1, op: "catalog", profile })));
    const actions = catalog.ok ? catalog.result.actions || [] : [];
    show($("pg-actions"), ...actions.map((a) => { const o = node("option"); o.value = a; return o; }));
    status.className = "ok";
    status.textContent = `loaded a ${profile} snapshot in ${ms.toFixed(1)} ms`;
  } catch (e) {
    engine = null;
    status.className = "err";
    status.textContent = `not loaded: ${e.code ? `${e.code}: ` : ""}${e.message}`;
  }
}

function check(ev) {
  ev?.preventDefault();
  const out = $("pg-decision");
  try {
    const actorText = $("pg-actor").value.trim();
    const actor = /^\d+$/.test(actorText) ? Number(actorText) : actorText;
    const object = $("pg-object").value.trim() ? parse($("pg-object").value, "the object") : {};
    const answer = ask({ op: "check", actor, action: $("pg-action").value.trim(), ...object });
    if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`);
    const d = answer.result;
    const box = node("div", `decision ${d.allowed ? "allowed" : "denied"}`);
    box.append(node("div", "verdict", d.allowed ? "✔ allowed" : "✘ not allowed"));
    const reason = node("p");
    reason.append("status ", node("code", "", d.status), " — reason ", node("code", "pg-reason", d.reason), `: ${loadedProfile === "emoncms" ? explain(d.reason) : d.reason.replace(/_/g, " ")}`);
    box.append(reason);
    const chain = node("details");
    chain.append(node("summary", "", `the facts that led there (${d.chain.length})`), node("pre", "", pretty(d.chain)));
    box.append(chain);
    show(out, box);
  } catch (e) {
    failure(out, e);
  }
}

function capText(c) {
  return Object.entries(c).map(([k, v]) => (k === "action" ? v : `${k} ${v}`)).join(", ");
}

function whatIf() {
  const out = $("pg-diff");
  try {
    const changes = parse($("pg-changes").value, "the changes");
    const usersText = $("pg-users").value.trim();
    const request = { op: "what_if", changes };
    if (usersText) request.users = parse(usersText, "the users");
    const answer = ask(request);
    if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`);
    const diff = answer.result.diff;
    if (!diff.length) {
      show(out, node("p", "muted", "Nobody's access changes."));
      return;
    }
    const ul = node("ul", "diff");
    for (const d of diff) {
      const li = node("li");
      li.dataset.user = d.user;
      li.append(node("strong", "", `user ${d.user}`));
      for (const [list, cls, word] of [[d.gains, "gain", "gains"], [d.loses, "lose", "loses"]]) {
        if (!list.length) continue;
        const inner = node("ul", cls);
        for (const c of list) inner.append(node("li", "", capText(c)));
        li.append(node("div", cls, `${word} ${list.length}:`), inner);
      }
      ul.append(li);
    }
    show(out, node("p", "", `${diff.length} user${diff.length === 1 ? "" : "s"} gain or lose access:`), ul);
  } catch (e) {
    failure(out, e);
  }
}

function send() {
  const out = $("pg-raw-out");
  try {
    const request = parse($("pg-raw").value, "the request");
    if (engine && request && typeof request === "object" && !("profile" in request)) request.profile = loadedProfile;
    if (!wasm) throw new Error("load a snapshot first");
    const text = engine ? engine.handle(JSON.stringify(request)) : wasm.call(JSON.stringify(request));
    out.textContent = pretty(JSON.parse(text));
  } catch (e) {
    out.textContent = e.message;
  }
}

function pick(example) {
  $("pg-profile").value = example.profile;
  $("pg-state").value = pretty(example.state);
  $("pg-actor").value = String(example.check.actor);
  $("pg-action").value = example.check.action;
  $("pg-object").value = JSON.stringify(example.check.object);
  $("pg-changes").value = pretty(example.what_if.changes);
  $("pg-users").value = example.what_if.users ? JSON.stringify(example.what_if.users) : "";
  show($("pg-decision"));
  show($("pg-diff"));
  return load();
}

for (const ex of EXAMPLES) {
  const b = node("button", "example", ex.label);
  b.type = "button";
  b.dataset.example = ex.id;
  b.addEventListener("click", () => pick(ex));
  $("pg-examples").append(b);
}
$("pg-load").addEventListener("click", load);
$("pg-check-form").addEventListener("submit", check);
$("pg-whatif").addEventListener("click", whatIf);
$("pg-send").addEventListener("click", send);
window.playground = { pick, load, check, whatIf, get engine() { return engine; }, get profile() { return loadedProfile; } };
pick(EXAMPLES[0]);
