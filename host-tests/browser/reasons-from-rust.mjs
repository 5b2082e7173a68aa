// Reads the emoncms reason codes and their sentences from core/src/profiles/emoncms/decide.rs (Reason::code and
// Reason::explain). Used by reasons.test.mjs to keep php-ext/module/group/preview/reasons.js in
// sync, and by `node reasons-from-rust.mjs --write` to regenerate that file.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
export const reasonsFile = root + "php-ext/module/group/preview/reasons.js";

function arms(source, fn) {
  const start = source.indexOf(`pub fn ${fn}(self) -> &'static str {`);
  if (start < 0) throw new Error(`decide.rs has no Reason::${fn}`);
  const body = source.slice(start, source.indexOf("\n    }\n", start));
  const out = new Map();
  // `Reason::X => "text",` or `Reason::X => {\n "text"\n }`
  const re = /Reason::(\w+)\s*=>\s*\{?\s*"((?:[^"\\]|\\.)*)"/g;
  for (let m; (m = re.exec(body)); ) out.set(m[1], JSON.parse(`"${m[2]}"`));
  return out;
}

/** [[code, sentence], …] in the order of the Rust enum. */
export function reasonsFromRust() {
  const source = readFileSync(root + "core/src/profiles/emoncms/decide.rs", "utf8");
  const codes = arms(source, "code");
  const texts = arms(source, "explain");
  const list = [];
  for (const [variant, code] of codes) {
    if (!texts.has(variant)) throw new Error(`Reason::${variant} has no explanation`);
    list.push([code, texts.get(variant)]);
  }
  return list;
}

export function renderReasonsJs(list) {
  const lines = list.map(([code, text]) => `  ${JSON.stringify(code)}: ${JSON.stringify(text)},`);
  return `// Generated from core/src/profiles/emoncms/decide.rs (Reason::code → Reason::explain) by
// host-tests/browser/reasons-from-rust.mjs --write; host-tests/browser/reasons.test.mjs fails when
// this file and the engine disagree. The engine's \`catalog\` op does not carry these sentences.

/** emoncms reason code → the sentence shown on hover and focus. */
export const REASONS = Object.freeze({
${lines.join("\n")}
});

/** The sentence for a reason code (other profiles' codes are shown as they are). */
export function explain(code) {
  return Object.prototype.hasOwnProperty.call(REASONS, code) ? REASONS[code] : String(code).replace(/_/g, " ");
}
`;
}

if (process.argv.includes("--write")) {
  writeFileSync(reasonsFile, renderReasonsJs(reasonsFromRust()));
  console.log(`wrote ${reasonsFile}`);
}
