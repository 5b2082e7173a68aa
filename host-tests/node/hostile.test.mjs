// Hostile input through the JS door (the npm package in wasm/pkg): every call must come back as
// a structured answer (or a thrown Error carrying a wire `code`), and the module must keep
// answering afterwards. Run: node --test host-tests/node/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { init, call, version, Engine } from "../../wasm/pkg/index.js";

const CODES = new Set([
  "bad_json", "too_large", "too_deep", "bad_request", "unsupported_version", "unknown_op",
  "unknown_profile", "missing_state", "invalid_state", "policy",
]);

const state = {
  groups: [{ id: 1, name: "Heatpumps" }],
  memberships: [
    { groupid: 1, userid: 2, role: 1, admin_rights: "full" },
    { groupid: 1, userid: 5, role: 3, admin_rights: "full" },
  ],
  users: [{ id: 2, username: "alice" }, { id: 5, username: "bob" }],
  feeds: [{ id: 10, userid: 5, name: "power" }],
};

let engine;
before(async () => {
  await init();
  engine = new Engine("emoncms", JSON.stringify(state));
});
after(() => engine.free());

/** Parses an answer and checks it is a well-formed wire answer; returns it. */
function answer(text) {
  assert.equal(typeof text, "string");
  const parsed = JSON.parse(text);
  assert.equal(typeof parsed.ok, "boolean", text.slice(0, 200));
  if (!parsed.ok) {
    assert.ok(CODES.has(parsed.error.code), `unexpected code: ${text.slice(0, 200)}`);
    assert.equal(typeof parsed.error.message, "string");
    assert.ok(parsed.error.message.length < 1000, "messages quote input cut short");
  }
  return parsed;
}

/** The error code of the answer to `request` sent through `call`. */
function callCode(request) {
  return errorCode(call(request));
}

function errorCode(text) {
  const parsed = answer(text);
  assert.equal(parsed.ok, false, text.slice(0, 200));
  return parsed.error.code;
}

/** The module still answers, through both doors. */
function stillWorks() {
  assert.equal(answer(call('{"v":1,"op":"version"}')).result.wire, 1);
  assert.equal(version().engine, "emongroups");
  assert.equal(engine.canReadFeed(5, 10), true);
  assert.equal(engine.check(2, "feed.read", { feed: 10 }).allowed, true);
}

/** Runs `f`, which must throw an Error carrying a wire code; returns the code. */
function thrownCode(f) {
  try {
    f();
  } catch (error) {
    assert.ok(error instanceof Error, `threw a non-Error: ${error}`);
    assert.ok(CODES.has(error.code), `unexpected code ${error.code}: ${error.message}`);
    return error.code;
  }
  assert.fail("expected a throw");
}

test("lone surrogates never break the module", () => {
  // Escaped in JSON text: serde rejects a lone surrogate escape.
  assert.equal(callCode('{"v":1,"op":"\\ud800"}'), "bad_json");
  assert.equal(callCode('{"v":1,"op":"version","x":"\\udfff"}'), "bad_json");
  // Raw in the JS string: the glue encodes it as U+FFFD, so it is valid text with an odd value.
  assert.equal(errorCode(engine.handle('{"v":1,"op":"\ud800"}')), "unknown_op");
  assert.equal(callCode('\udc00{"v":1}'), "bad_json");
  assert.equal(answer(engine.handle('{"v":1,"op":"check","actor":2,"action":"feed.read","feed":10,"x":"\ud800"}')).ok, false);
  assert.equal(thrownCode(() => engine.check(2, "feed.\ud800", { feed: 10 })), "bad_request");
  assert.equal(thrownCode(() => new Engine("emon\udbffcms", "{}")), "unknown_profile");
  stillWorks();
});

test("text crosses whole, whatever its characters; a value that is not a string is refused", () => {
  // Any character beyond ASCII takes more UTF-8 bytes than UTF-16 units: the copy into wasm
  // memory then runs in two passes, and what it writes must be the text, byte for byte.
  const name = "Ομάδα οδός ß 家 🏠 e\u0301";
  const names = (engine) => engine.route("grouplist", { userid: 2, read: true, write: true }, {}).body.map((g) => g.name);
  const utf = new Engine("emoncms", JSON.stringify({ ...state, groups: [{ id: 1, name }] }));
  assert.deepEqual(names(utf), [name]);
  utf.free();
  const tail = new Engine("emoncms", JSON.stringify({ ...state, groups: [{ id: 1, name: "x".repeat(100_000) + name }] }));
  assert.deepEqual(names(tail), ["x".repeat(100_000) + name]);
  tail.free();
  assert.match(JSON.parse(call(`{"v":1,"op":"${name}"}`)).error.message, new RegExp(name));
  assert.match(JSON.parse(engine.handle(`{"v":1,"op":"${name}"}`)).error.message, new RegExp(name));
  for (const wrong of [undefined, null, 42, {}, ["{}"], new TextEncoder().encode("{}")]) {
    assert.equal(thrownCode(() => new Engine("emoncms", wrong)), "bad_request", String(wrong));
    assert.equal(callCode(wrong), "bad_request", String(wrong));
    assert.equal(errorCode(engine.handle(wrong)), "bad_request", String(wrong));
  }
  stillWorks();
});

test("10 MB strings are answered, not fatal", () => {
  const ten = "x".repeat(10 * 1024 * 1024);
  assert.equal(callCode(ten), "bad_json");
  assert.equal(callCode(`{"v":1,"op":"${ten}"}`), "missing_state");
  assert.equal(errorCode(engine.handle(`{"v":1,"op":"${ten}"}`)), "unknown_op");
  assert.equal(errorCode(engine.handle(`{"v":1,"op":"check","actor":2,"action":"feed.read","feed":10,"pad":"${ten}"}`)), "bad_request");
  const route = answer(engine.handle(JSON.stringify({
    v: 1, op: "route", route: "editgroup", session: { userid: 2, read: true, write: true },
    params: { groupid: "1", name: ten, description: ten },
  })));
  assert.ok(route.ok === false || typeof route.result === "object");
  assert.ok(thrownCode(() => new Engine("emoncms", JSON.stringify({ groups: [{ id: 1, name: ten, bogus: ten }] }))));
  stillWorks();
});

test("requests over 64 MiB are refused as too_large", () => {
  const big = `{"v":1,"op":"version","pad":"${"y".repeat(64 * 1024 * 1024)}"}`;
  assert.equal(errorCode(call(big)), "too_large");
  assert.equal(errorCode(engine.handle(big)), "too_large");
  stillWorks();
});

test("deep nesting (10,000 levels) is too_deep, not a stack overflow", () => {
  const deep = (n) => "[".repeat(n) + "]".repeat(n);
  assert.equal(callCode(deep(10_000)), "too_deep");
  assert.equal(callCode(`{"v":1,"op":"version","x":${deep(10_000)}}`), "too_deep");
  assert.equal(errorCode(engine.handle(`{"v":1,"op":"check","actor":${deep(10_000)}}`)), "too_deep");
  assert.equal(thrownCode(() => new Engine("emoncms", `{"groups":${deep(10_000)}}`)), "too_deep");
  let nested = {};
  for (let i = 0; i < 10_000; i++) nested = { a: nested };
  // Either serde's depth limit or JSON.stringify's own stack limit (a RangeError) stops it.
  assert.ok(["too_deep", "bad_request"].includes(thrownCode(() => engine.check(2, "feed.read", nested))));
  stillWorks();
});

test("wrong types get bad_request (or the envelope's own code)", () => {
  assert.equal(callCode('{"v":"1","op":"version"}'), "bad_request");
  assert.equal(callCode('{"v":2,"op":"version"}'), "unsupported_version");
  assert.equal(callCode('{"v":1,"op":5}'), "bad_request");
  assert.equal(callCode('{"v":1,"op":"check","profile":7}'), "bad_request");
  assert.equal(callCode('{"v":1,"op":"check","state":[]}'), "bad_request");
  assert.equal(callCode("[]"), "bad_request");
  assert.equal(callCode("null"), "bad_request");
  assert.equal(callCode(""), "bad_json");
  assert.equal(thrownCode(() => engine.check("two", "feed.read", { feed: 10 })), "bad_request");
  assert.equal(thrownCode(() => engine.check(2, 17, { feed: 10 })), "bad_request");
  assert.equal(thrownCode(() => engine.check(2, "feed.read", [10])), "bad_request");
  assert.equal(thrownCode(() => engine.check(2, "feed.read", { op: "apply" })), "bad_request");
  assert.equal(thrownCode(() => engine.check(2, "feed.read", { feed: 10n })), "bad_request");
  const cyclic = {};
  cyclic.self = cyclic;
  assert.equal(thrownCode(() => engine.check(2, "feed.read", cyclic)), "bad_request");
  const hostileJSON = { toJSON() { throw new Error("no"); } };
  assert.equal(thrownCode(() => engine.whatCan(hostileJSON)), "bad_request");
  assert.equal(thrownCode(() => engine.whatIf("not a list")), "bad_request");
  assert.equal(thrownCode(() => engine.route(42, null, null)), "bad_request");
  assert.equal(thrownCode(() => new Engine("emoncms", '{"groups":"x"}')), "invalid_state");
  assert.equal(thrownCode(() => new Engine("nope", "{}")), "unknown_profile");
  assert.equal(thrownCode(() => new Engine("emoncms", "{")), "bad_json");
  stillWorks();
});

test("negative, fractional and huge ids are refused or not found, never trusted", () => {
  for (const id of [-1, -0.5, 1.5, 2 ** 31, 2 ** 32 + 10, 2 ** 53, 1e308, Number.MAX_VALUE]) {
    assert.equal(thrownCode(() => engine.check(id, "feed.read", { feed: 10 })), "bad_request", `actor ${id}`);
    assert.equal(thrownCode(() => engine.check(2, "feed.read", { feed: id })), "bad_request", `feed ${id}`);
    assert.equal(thrownCode(() => engine.canReadFeed(id, 10)), "bad_request", `canReadFeed actor ${id}`);
    assert.equal(thrownCode(() => engine.canReadFeed(2, id)), "bad_request", `canReadFeed feed ${id}`);
    assert.equal(thrownCode(() => engine.whatCan(id)), "bad_request", `whatCan ${id}`);
  }
  for (const id of [NaN, Infinity, -Infinity]) {
    assert.equal(thrownCode(() => engine.canReadFeed(2, id)), "bad_request", `canReadFeed ${id}`);
  }
  assert.equal(callCode('{"v":1,"op":"check","actor":2,"action":"feed.read","feed":1e400}'), "bad_json");
  assert.equal(errorCode(engine.handle('{"v":1,"op":"check","actor":2,"action":"feed.read","feed":184467440737095516160}')), "bad_request");
  // An id nobody has is an ordinary denial, not an error.
  const missing = engine.check(2, "feed.read", { feed: 2_147_483_647 });
  assert.deepEqual([missing.allowed, missing.status], [false, "not_found"]);
  assert.equal(engine.canReadFeed(0, 2_147_483_647), false);
  stillWorks();
});

test("an engine throws a JS Error with the wire code, and other engines are unaffected", () => {
  const home = new Engine("home", "{}");
  assert.equal(home.profile, "home");
  assert.equal(thrownCode(() => home.canReadFeed(2, 10)), "unknown_op");
  assert.equal(thrownCode(() => home.route("grouplist", { userid: 2 }, {})), "unknown_op");
  home.free();
  assert.equal(answer(engine.handle('{"v":1,"op":"version","profile":"home"}')).ok, false);
  stillWorks();
});

test("ids near 2^31 without a users row build an engine (no table the size of the id)", () => {
  const far = {
    groups: [{ id: 1, name: "g" }],
    memberships: [
      { groupid: 1, userid: 1, role: 1, admin_rights: "full" },
      { groupid: 1, userid: 2147480000, role: 0, admin_rights: "full" },
    ],
    users: [{ id: 1, username: "a" }],
    feeds: [{ id: 6, userid: 2147480000, public: false }],
  };
  const engine = new Engine("emoncms", JSON.stringify(far));
  assert.equal(engine.canReadFeed(1, 6), true);
  assert.equal(version().engine, "emongroups", "the module still answers");
});
