// preview/reasons.js carries the sentences of core/src/profiles/emoncms/decide.rs (Reason::explain): same codes,
// same words, same order. Regenerate with `node host-tests/browser/reasons-from-rust.mjs --write`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { reasonsFromRust, renderReasonsJs, reasonsFile } from "./reasons-from-rust.mjs";

test("reasons.js matches Reason::code and Reason::explain in decide.rs", async () => {
  const fromRust = reasonsFromRust();
  assert.ok(fromRust.length >= 20, `decide.rs lists ${fromRust.length} reasons`);
  const { REASONS, explain } = await import(reasonsFile);
  assert.deepEqual(Object.entries(REASONS), fromRust);
  assert.equal(readFileSync(reasonsFile, "utf8"), renderReasonsJs(fromRust), "the file is exactly what the generator writes");
  assert.equal(explain("read_only_rights"), "the group has only read rights over this member's account");
  assert.equal(explain("some_other_code"), "some other code");
});
