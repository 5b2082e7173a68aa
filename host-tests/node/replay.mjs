// The Node door of the properties suite's differential (scripts/test-properties.sh): answers every
// line of FILE (one wire request per line) through the npm package built in wasm/pkg
// (scripts/build-wasm.sh) and prints the answers, one per line.
//
//   node host-tests/node/replay.mjs FILE
import { readFile } from "node:fs/promises";

import { init, call } from "../../wasm/pkg/index.js";

const path = process.argv[2];
if (path === undefined) {
  console.error("usage: replay.mjs FILE");
  process.exit(2);
}
const text = await readFile(path, "utf8");
const lines = (text.endsWith("\n") ? text.slice(0, -1) : text).split("\n");
await init();
const answers = lines.map((line) => {
  try {
    return call(line);
  } catch (error) {
    // A trap (the module aborts on a panic) shows as a differing line, not a crash of the run.
    return `node: ${error}`;
  }
});
process.stdout.write(answers.join("\n") + "\n");
