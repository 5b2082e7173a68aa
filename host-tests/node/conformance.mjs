// The Node door: replays every conformance vector (host-tests/vectors, format in FORMAT.md)
// through the npm package built in wasm/pkg (scripts/build-wasm.sh), the same algorithm as the
// Rust runners (host-tests/src/lib.rs). Last line: `conformance/node: N passed, M failed`.
//
//   node host-tests/node/conformance.mjs [VECTORS_DIR]
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { init, call } from "../../wasm/pkg/index.js";

const FORMAT = "emongroups-vectors/1";
const here = fileURLToPath(new URL(".", import.meta.url));
const vectorsDir = process.argv[2] ?? join(here, "..", "vectors");

class LoadError extends Error {}

/** Every *.json file below `dir` as [relative path with "/", full path], sorted by the former. */
async function vectorFiles(dir, prefix = "") {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (error.code === "ENOENT" && prefix === "") return []; // no folder, no vectors
    throw error;
  }
  const found = [];
  for (const entry of entries) {
    const relative = prefix + entry.name;
    if (entry.isDirectory()) found.push(...(await vectorFiles(join(dir, entry.name), relative + "/")));
    else if (entry.name.endsWith(".json")) found.push([relative, join(dir, entry.name)]);
  }
  return found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function take(map, key, whose) {
  if (!Object.hasOwn(map, key)) throw new LoadError(`${whose} lacks \`${key}\``);
  const value = map[key];
  delete map[key];
  return value;
}

function takeString(map, key, whose) {
  const value = take(map, key, whose);
  if (typeof value !== "string") throw new LoadError(`\`${key}\` of ${whose} must be a string`);
  return value;
}

function rejectUnknown(map, whose) {
  const extra = Object.keys(map)[0];
  if (extra !== undefined) throw new LoadError(`${whose} has an unknown key \`${extra}\``);
}

/** Loads a vector file strictly: unknown keys in the file or a step are errors. */
export function parseVectorFile(text) {
  let top;
  try {
    top = JSON.parse(text);
  } catch (error) {
    throw new LoadError(`not JSON: ${error.message}`);
  }
  if (!isObject(top)) throw new LoadError("a vector file is a JSON object");
  const format = takeString(top, "format", "the file");
  if (format !== FORMAT) throw new LoadError(`\`format\` is \`${format}\`, this runner reads \`${FORMAT}\``);
  const profile = takeString(top, "profile", "the file");
  const title = takeString(top, "title", "the file");
  let covers = [];
  if (Object.hasOwn(top, "covers")) {
    covers = take(top, "covers", "the file");
    if (!Array.isArray(covers) || !covers.every((c) => typeof c === "string")) {
      throw new LoadError("`covers` must be an array of strings");
    }
  }
  const state = take(top, "state", "the file");
  if (!isObject(state)) throw new LoadError("`state` must be an object");
  const rawSteps = take(top, "steps", "the file");
  if (!Array.isArray(rawSteps)) throw new LoadError("`steps` must be an array");
  rejectUnknown(top, "the file");
  const steps = rawSteps.map((raw, i) => {
    try {
      return parseStep(raw);
    } catch (error) {
      throw new LoadError(`step ${i + 1}: ${error.message}`);
    }
  });
  return { profile, title, covers, state, steps };
}

function parseStep(raw) {
  if (!isObject(raw)) throw new LoadError("a step is a JSON object");
  const step = { ...raw };
  const name = takeString(step, "name", "a step");
  const request = take(step, "request", "a step");
  if (!isObject(request)) throw new LoadError(`step \`${name}\`: \`request\` must be an object`);
  for (const reserved of ["v", "profile", "state"]) {
    if (Object.hasOwn(request, reserved)) {
      throw new LoadError(`step \`${name}\`: a request never contains \`${reserved}\` (the runner adds it)`);
    }
  }
  const expect = take(step, "expect", "a step");
  let apply = true;
  if (Object.hasOwn(step, "apply")) {
    apply = take(step, "apply", "a step");
    if (typeof apply !== "boolean") throw new LoadError(`step \`${name}\`: \`apply\` must be a boolean`);
  }
  rejectUnknown(step, `step \`${name}\``);
  return { name, request, expect, apply };
}

/**
 * Where `actual` first differs from `expected` (a `$.a[0].b` path), or null when equal: key
 * order is ignored; numbers are JS numbers already, so 1 and 1.0 are equal.
 */
export function firstDifference(expected, actual, at = "$") {
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!Array.isArray(expected) || !Array.isArray(actual)) return at;
    if (expected.length !== actual.length) {
      return `${at} (array of ${actual.length} items, expected ${expected.length})`;
    }
    for (let i = 0; i < expected.length; i++) {
      const d = firstDifference(expected[i], actual[i], `${at}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (isObject(expected) || isObject(actual)) {
    if (!isObject(expected) || !isObject(actual)) return at;
    for (const key of Object.keys(expected)) {
      if (!Object.hasOwn(actual, key)) return `${at}.${key} (missing)`;
    }
    for (const key of Object.keys(actual)) {
      if (!Object.hasOwn(expected, key)) return `${at}.${key} (not expected)`;
    }
    for (const key of Object.keys(expected)) {
      const d = firstDifference(expected[key], actual[key], `${at}.${key}`);
      if (d !== null) return d;
    }
    return null;
  }
  return expected === actual ? null : at;
}

/** Replays one loaded file through `door`; returns [passed, failed]. */
export function replayFile(relative, file, door) {
  let passed = 0;
  let failed = 0;
  let state = file.state;
  for (const step of file.steps) {
    const request = { v: 1, profile: file.profile, ...step.request, state };
    const answerText = door(JSON.stringify(request));
    const report = (why, actual) => {
      console.log(`FAIL ${relative} / step \`${step.name}\`: ${why}`);
      console.log(`  request:  ${JSON.stringify({ ...request, state: "<the file's state after the earlier steps>" })}`);
      console.log(`  expected: ${JSON.stringify(step.expect)}`);
      console.log(`  actual:   ${actual}`);
    };
    let answer;
    try {
      answer = JSON.parse(answerText);
    } catch (error) {
      report(`the answer is not JSON (${error.message})`, answerText);
      failed++;
      continue;
    }
    let ok = true;
    const at = firstDifference(step.expect, answer);
    if (at !== null) {
      report(`the answer differs at ${at}`, answerText);
      ok = false;
    }
    const changes = answer?.result?.changes;
    if (step.apply && answer?.ok === true && Array.isArray(changes) && changes.length > 0) {
      const appliedText = door(JSON.stringify({ v: 1, op: "apply", profile: file.profile, state, changes }));
      let applied = null;
      try {
        applied = JSON.parse(appliedText);
      } catch {
        // reported below
      }
      if (applied?.ok === true && isObject(applied?.result?.state)) {
        state = applied.result.state;
      } else {
        if (ok) report("applying the answer's changes failed", appliedText);
        else console.log(`  applying the changes failed too: ${appliedText}`);
        ok = false;
      }
    }
    if (ok) passed++;
    else failed++;
  }
  return [passed, failed];
}

/** Replays every file under `dir`; prints failures and the closing line; returns the counts. */
export async function replayAll(dir, doorName, door) {
  let passed = 0;
  let failed = 0;
  let files;
  try {
    files = await vectorFiles(dir);
  } catch (error) {
    console.log(`FAIL ${dir}: cannot list vector files: ${error.message}`);
    files = [];
    failed++;
  }
  for (const [relative, path] of files) {
    let file;
    try {
      file = parseVectorFile(await readFile(path, "utf8"));
    } catch (error) {
      console.log(`FAIL ${relative}: the file could not be loaded: ${error.message}`);
      failed++;
      continue;
    }
    const [p, f] = replayFile(relative, file, door);
    passed += p;
    failed += f;
  }
  console.log(`conformance/${doorName}: ${passed} passed, ${failed} failed`);
  return { files: files.length, passed, failed };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await init();
  const summary = await replayAll(vectorsDir, "node", call);
  process.exitCode = summary.failed > 0 ? 1 : 0;
}
