// The npm package's TypeScript types (wasm/pkg/types.d.ts and the generated wire.d.ts) against
// what the engine really answers: every expected answer of every conformance vector is written
// as a literal of its declared type (`Answer<Decision>` for a check, `Change[]` for a route's
// changes, …) and `tsc --strict` must accept them all, excess properties included; a control
// file of answers that are wrong on purpose must be refused line by line, so the check cannot
// pass by accepting anything. Last line: `types/node: N passed, M failed`.
//
//   node host-tests/node/types.mjs   (after scripts/build-wasm.sh; TypeScript from npm ci here)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const vectors = join(here, "..", "vectors");
const pkg = join(here, "..", "..", "wasm", "pkg");
const tsc = join(here, "node_modules", "typescript", "bin", "tsc");

/** The declared type of an answer to `op` on `profile`, or null when the types leave it open. */
function typeOf(profile, op, expect) {
  if (expect.ok === false) return "Failure";
  const emoncms = profile === "emoncms";
  switch (op) {
    case "version":
      return "Answer<VersionInfo>";
    case "check":
      return emoncms ? "Answer<Decision>" : "Answer<OtherDecision>";
    case "who_can":
      return emoncms ? "Answer<WhoCan>" : "Answer<OtherWhoCan>";
    case "what_can":
      return emoncms ? "Answer<WhatCan>" : "Answer<OtherWhatCan>";
    case "what_if":
      return emoncms ? "Answer<WhatIf>" : "Answer<OtherWhatIf>";
    case "route":
      return emoncms ? "Answer<RouteResult>" : null;
    default:
      return null;
  }
}

function files(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".json") ? [join(dir, e.name)] : []))
    .sort();
}

const imports =
  "import type { Answer, Change, Decision, Engine, Failure, OtherDecision, OtherWhatCan, OtherWhatIf, OtherWhoCan, " +
  "RouteResult, VersionInfo, WhatCan, WhatIf, WhoCan } from " +
  JSON.stringify(join(pkg, "types")) +
  ";\n";

// The literals: [name for messages, declared type, JSON]. A route's changes are typed on their
// own as well, as the host's writer reads them (RouteResult leaves nothing of them open).
const cases = [];
for (const file of files(vectors)) {
  const v = JSON.parse(readFileSync(file, "utf8"));
  for (const step of v.steps) {
    const type = typeOf(v.profile, step.request.op, step.expect);
    if (type === null) continue;
    const where = `${relative(vectors, file)}: ${step.name}`;
    cases.push([where, type, step.expect]);
    const changes = step.expect.result?.changes;
    if (v.profile === "emoncms" && Array.isArray(changes) && changes.length > 0) {
      cases.push([`${where} (changes)`, "Change[]", changes]);
    }
  }
}

// The package's API as a program uses it (one line each; `type` null: the line is code): an
// emoncms engine's answers are the generated types, another profile's the open ones.
cases.push(
  ["an emoncms engine's check is a Decision", null,
    'export const api1 = (e: Engine<"emoncms">): Decision => e.check(1, "group.view", { group: 1 });'],
  ["an emoncms engine's what_if takes changes", null,
    'export const api2 = (e: Engine<"emoncms">): WhatIf => e.whatIf([{ kind: "delete_membership", groupid: 1, userid: 2 }]);'],
  ["the profile is inferred from the constructor", null,
    'export const api3 = (E: typeof Engine): WhoCan => new E("emoncms", "{}").whoCan("feed.read", { feed: 1 });'],
  ["an engine of any profile answers the wider type", null,
    "export const api4 = (e: Engine): Decision | OtherDecision => e.check(1, \"home.enter\");"],
);

// Wrong on purpose, each in one way the generated types must catch.
const control = [
  ["a reason code that does not exist", "Answer<Decision>", { ok: true, result: { allowed: false, status: "forbidden", reason: "no_such_reason", chain: [] } }],
  ["a status that does not exist", "Answer<Decision>", { ok: true, result: { allowed: false, status: "denied", reason: "not_group_admin", chain: [] } }],
  ["a fact of an unknown kind", "Answer<Decision>", { ok: true, result: { allowed: true, status: "ok", reason: "owner", chain: [{ fact: "weather" }] } }],
  ["a membership fact without its role", "Answer<Decision>", { ok: true, result: { allowed: true, status: "ok", reason: "owner", chain: [{ fact: "membership", group: 1, user: 2, admin_rights: null }] } }],
  ["an id as a string", "Change[]", [{ kind: "delete_group", id: "5" }]],
  ["a change of an unknown kind", "Change[]", [{ kind: "drop_table", id: 5 }]],
  ["an unknown field in a change", "Change[]", [{ kind: "delete_membership", groupid: 1, userid: 2, role: 1 }]],
  ["an action that does not exist", "Answer<WhatCan>", { ok: true, result: { user: 1, capabilities: [{ action: "group.steal", group: 1 }], public_feeds: true } }],
  ["users as strings", "Answer<WhoCan>", { ok: true, result: { everyone: false, users: ["1"] } }],
  ["an error code that does not exist", "Failure", { ok: false, error: { code: "oops", message: "x" } }],
  ["a home engine's check taken for an emoncms Decision", null,
    'export const bad1 = (e: Engine<"home">): Decision => e.check(1, "home.enter");'],
  ["a version answer without the wire version", "Answer<VersionInfo>", { ok: true, result: { engine: "emongroups", version: "0.1.0", profiles: ["emoncms"] } }],
];

/** Writes the literals one per line after the import and returns tsc's errors by line (1-based). */
function compile(dir, name, list) {
  const path = join(dir, `${name}.ts`);
  const lines = list.map(([, type, value], i) =>
    type === null ? value : `export const c${i}: ${type} = ${JSON.stringify(value)};`);
  writeFileSync(path, imports + lines.join("\n") + "\n");
  let out = "";
  try {
    execFileSync(process.execPath, [tsc, "--noEmit", "--strict", "--pretty", "false", "--target", "es2022",
      "--module", "esnext", "--moduleResolution", "bundler", "--lib", "esnext,dom", path], { encoding: "utf8" });
  } catch (error) {
    out = `${error.stdout ?? ""}${error.stderr ?? ""}`;
  }
  const errors = new Map();
  for (const line of out.split("\n")) {
    const m = /^(.*)\((\d+),\d+\): error (TS\d+: .*)$/.exec(line);
    if (m === null) continue;
    if (!m[1].endsWith(`${name}.ts`)) {
      errors.set(0, `${errors.get(0) ?? ""}${line}\n`); // an error in the package's own .d.ts
      continue;
    }
    const at = Number(m[2]) - 1; // the import is line 1
    errors.set(at, `${errors.get(at) ?? ""}${m[3]}\n`);
  }
  if (out !== "" && errors.size === 0) errors.set(0, out);
  return errors;
}

const dir = mkdtempSync(join(tmpdir(), "emongroups-types-"));
let passed = 0;
let failed = 0;
try {
  const errors = compile(dir, "answers", cases);
  if (errors.has(0)) {
    failed++;
    console.log(`FAIL the package's declarations do not compile:\n${errors.get(0)}`);
  }
  cases.forEach(([where, type], i) => {
    const e = errors.get(i + 1);
    if (e === undefined) passed++;
    else {
      failed++;
      console.log(`FAIL ${where}: the expected answer is not a ${type}:\n${e}`);
    }
  });
  const refused = compile(dir, "control", control);
  if (refused.has(0)) {
    failed++;
    console.log(`FAIL the control file does not compile for another reason:\n${refused.get(0)}`);
  }
  control.forEach(([what, type], i) => {
    if (refused.has(i + 1)) passed++;
    else {
      failed++;
      console.log(`FAIL control: ${what} was accepted as a ${type}`);
    }
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`types: ${cases.length} vector answers and API uses typed as declared, ${control.length} wrong ones refused`);
console.log(`types/node: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
