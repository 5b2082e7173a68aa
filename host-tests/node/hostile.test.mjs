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
    // The state may also be UTF-8 bytes (see "a state as bytes"), a request may not.
    if (!(wrong instanceof Uint8Array)) {
      assert.equal(thrownCode(() => new Engine("emoncms", wrong)), "bad_request", String(wrong));
    }
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

// ---- what crosses the door: the shapes JS gets ------------------------------------------------

/** Every value inside `value` (itself included), with its path. */
function* walk(value, path = "$") {
  yield [path, value];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* walk(value[i], `${path}[${i}]`);
  } else if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) yield* walk(value[key], `${path}.${key}`);
  }
}

/** `value` is what JSON.parse would give: plain objects and arrays, strings, numbers (no
 *  BigInt), booleans and null, and equal to JSON.parse of its own JSON text. */
function assertPlain(value, what) {
  for (const [path, v] of walk(value)) {
    const type = typeof v;
    assert.ok(["string", "number", "boolean", "object"].includes(type), `${what} ${path} is a ${type}`);
    if (type === "object" && v !== null && !Array.isArray(v)) {
      assert.equal(Object.getPrototypeOf(v), Object.prototype, `${what} ${path} is not a plain object`);
      assert.ok(!(v instanceof Map), `${what} ${path} is a Map`);
    }
  }
  assert.deepStrictEqual(JSON.parse(JSON.stringify(value)), value, `${what} survives JSON`);
}

const admin = { userid: 2, read: true, write: true, admin: false, apikey: false, username: "alice" };

test("answers are plain objects with numbers, never Maps or BigInts", () => {
  const richer = new Engine("emoncms", JSON.stringify({
    ...state,
    users: [{ id: 2, username: "alice" }, { id: 5, username: "bob", tags: { house: "A", floors: 2 } }],
    feeds: [
      { id: 10, userid: 5, name: "power", time: 1700000000, value: 1234.5678 },
      { id: 2147483647, userid: 5, name: "far", value: -0.001 },
    ],
  }));
  const decision = richer.check(2, "feed.read", { feed: 10 });
  assertPlain(decision, "check");
  assert.equal(typeof decision.allowed, "boolean");
  assert.ok(decision.chain.length > 0);
  assertPlain(richer.whoCan("feed.read", { feed: 10 }), "whoCan");
  assertPlain(richer.whatCan(5), "whatCan");
  assertPlain(richer.whatIf([{ kind: "delete_membership", groupid: 1, userid: 5 }]), "whatIf");
  assertPlain(version(), "version");
  assertPlain(richer.version(), "Engine.version");
  const list = richer.route("userlist", admin, { groupid: "1" });
  assertPlain(list, "route userlist");
  const bob = list.body.find((m) => m.userid === 5);
  assert.deepEqual(bob.tags, { house: "A", floors: 2 });
  const feeds = Object.fromEntries(bob.feedslist.map((f) => [f.id, f]));
  assert.equal(typeof feeds[10].value, "number");
  assert.equal(feeds[10].value, 1234.5678);
  assert.equal(feeds[2147483647].id, 2147483647);
  // The route's body is the same value the wire's own text gives.
  const wire = JSON.parse(richer.handle(JSON.stringify({ v: 1, op: "route", route: "userlist", session: admin, params: { groupid: "1" } })));
  assert.deepStrictEqual(list, wire.result);
  richer.free();
});

test("a member named __proto__ in an answer is a member, as JSON.parse makes it", () => {
  const tags = JSON.parse('{"__proto__":{"admin":true},"house":"A"}');
  const odd = new Engine("emoncms", JSON.stringify({ ...state, users: [{ id: 2, username: "alice" }, { id: 5, username: "bob", tags }] }));
  const bob = odd.route("userlist", admin, { groupid: "1" }).body.find((m) => m.userid === 5);
  assert.equal(Object.getPrototypeOf(bob.tags), Object.prototype);
  assert.ok(Object.hasOwn(bob.tags, "__proto__"));
  assert.equal(bob.tags.admin, undefined);
  assert.deepStrictEqual(bob.tags, tags);
  odd.free();
});

test("errors are Error instances carrying the wire code", () => {
  const cases = [
    [() => new Engine("nope", "{}"), "unknown_profile"],
    [() => new Engine("emoncms", "{"), "bad_json"],
    [() => new Engine("emoncms", new Uint8Array([0x7b, 0xff, 0x7d])), "bad_json"],
    [() => new Engine("emoncms", '{"groups":"x"}'), "invalid_state"],
    [() => engine.check("two", "feed.read", { feed: 10 }), "bad_request"],
    [() => engine.check(2, "feed.read", { feed: 10n }), "bad_request"],
    [() => engine.canReadFeed(-1, 10), "bad_request"],
    [() => new Engine("home", "{}").canReadFeed(1, 1), "unknown_op"],
    [() => engine.route(42, null, null), "bad_request"],
    [() => engine.whatIf("not a list"), "bad_request"],
  ];
  for (const [f, code] of cases) {
    let error = null;
    try {
      f();
    } catch (thrown) {
      error = thrown;
    }
    assert.ok(error !== null, `expected a throw with code ${code}`);
    {
      assert.ok(error instanceof Error, `a non-Error was thrown: ${error}`);
      assert.equal(error.code, code, error.message);
      assert.equal(typeof error.message, "string");
      assert.ok(error.message.length > 0);
      assert.ok(typeof error.stack === "string", "an Error has its stack");
    }
  }
  stillWorks();
});

test("a state as bytes: a Uint8Array (or ArrayBuffer, Buffer) of UTF-8 JSON", () => {
  const name = "Ομάδα 🏠";
  const text = JSON.stringify({ ...state, groups: [{ id: 1, name }] });
  const bytes = new TextEncoder().encode(text);
  const names = (e) => e.route("grouplist", admin, {}).body.map((g) => g.name);
  for (const input of [bytes, bytes.buffer, Buffer.from(text, "utf8"), new Uint8Array([0, ...bytes, 0]).subarray(1, bytes.length + 1)]) {
    const e = new Engine("emoncms", input);
    assert.deepEqual(names(e), [name], input.constructor.name);
    assert.equal(e.canReadFeed(5, 10), true);
    assert.deepStrictEqual(e.check(2, "feed.read", { feed: 10 }), engine.check(2, "feed.read", { feed: 10 }));
    e.free();
  }
  const home = new Engine("home", new TextEncoder().encode("{}"));
  assert.equal(home.profile, "home");
  home.free();
  // Bytes that are not UTF-8 are bad_json, as the wire answers them; so is an empty array.
  const bad = new Uint8Array([...new TextEncoder().encode('{"groups":[{"id":1,"name":"'), 0xc3, 0x28, ...new TextEncoder().encode('"}]}')]);
  assert.equal(thrownCode(() => new Engine("emoncms", bad)), "bad_json");
  assert.match((() => { try { new Engine("emoncms", bad); } catch (e) { return e.message; } })(), /UTF-8/);
  assert.equal(thrownCode(() => new Engine("emoncms", new Uint8Array(0))), "bad_json");
  assert.equal(thrownCode(() => new Engine("emoncms", new TextEncoder().encode('{"groups":"x"}'))), "invalid_state");
  // Other typed arrays are not bytes of text.
  assert.equal(thrownCode(() => new Engine("emoncms", new Uint16Array(4))), "bad_request");
  stillWorks();
});

test("a large answer is the same value as a small one would be (past 64 KiB it crosses by JSON.parse)", () => {
  // 300 members with 30 feeds each: the userlist body and a what_if are hundreds of KB.
  const big = { groups: [{ id: 1, name: "Big" }], memberships: [], users: [], feeds: [] };
  for (let u = 1; u <= 300; u++) {
    big.memberships.push({ groupid: 1, userid: u, role: u === 1 ? 1 : 0, admin_rights: "full" });
    const tags = u === 7 ? JSON.parse('{"__proto__":{"admin":true},"n":1}') : { n: u };
    big.users.push({ id: u, username: `user${u}`, tags });
    for (let f = 0; f < 30; f++) big.feeds.push({ id: u * 100 + f, userid: u, name: `f${f}`, value: u + f / 7, time: 1700000000 + f });
  }
  const e = new Engine("emoncms", JSON.stringify(big));
  const session = { userid: 1, read: true, write: true, admin: false, apikey: false, username: "user1" };
  const wire = (request) => JSON.parse(e.handle(JSON.stringify({ v: 1, ...request }))).result;
  const list = e.route("userlist", session, { groupid: "1" });
  assert.ok(JSON.stringify(list).length > 64 * 1024, "the answer is past the line");
  assertPlain(list, "large userlist");
  assert.deepStrictEqual(list, wire({ op: "route", route: "userlist", session, params: { groupid: "1" } }));
  const seven = list.body.find((m) => m.userid === 7);
  assert.ok(Object.hasOwn(seven.tags, "__proto__"));
  assert.equal(Object.getPrototypeOf(seven.tags), Object.prototype);
  const changes = [{ kind: "update_membership", groupid: 1, userid: 5, role: 2, admin_rights: "full" }];
  const diff = e.whatIf(changes);
  assert.ok(diff.diff.some((d) => d.gains.length > 1000), "the new sub-administrator gains the members' feeds");
  assertPlain(diff, "large whatIf");
  assert.deepStrictEqual(diff, wire({ op: "what_if", changes }));
  // A small answer of the same engine crosses the other way and has the same shapes.
  const small = e.check(1, "feed.read", { feed: 700 });
  assertPlain(small, "small check");
  assert.deepStrictEqual(small, wire({ op: "check", actor: 1, action: "feed.read", feed: 700 }));
  e.free();
  stillWorks();
});
