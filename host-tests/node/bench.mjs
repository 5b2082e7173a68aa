// Times one feed-read check from Node on a held Engine (see scripts/bench-wasm.sh).
//   node host-tests/node/bench.mjs [USERS]
import { init, Engine } from "../../wasm/pkg/index.js";

const users = Number(process.argv[2] ?? 2000);

/** A deterministic emoncms state: groups of 20 (an administrator, then passive members and
 *  members), users in about two groups each, ten feeds per user, one in twenty public. */
function generate(userCount) {
  let seed = 0x2545f491;
  const random = (n) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const state = { groups: [], memberships: [], users: [], feeds: [] };
  for (let id = 1; id <= userCount; id++) {
    state.users.push({ id, username: `user${id}`, email: `user${id}@example.org`, admin: false });
    for (let f = 0; f < 10; f++) {
      const feed = id * 10 + f;
      state.feeds.push({ id: feed, userid: id, name: `feed${feed}`, tag: "house", public: random(20) === 0 });
    }
  }
  const groupCount = Math.max(1, Math.floor(userCount / 10));
  for (let g = 1; g <= groupCount; g++) {
    state.groups.push({ id: g, name: `group${g}`, visibility: "private", access: "closed" });
    const members = new Set([1 + random(userCount)]);
    state.memberships.push({ groupid: g, userid: [...members][0], role: 1, admin_rights: "full" });
    while (members.size < Math.min(20, userCount)) {
      const user = 1 + random(userCount);
      if (members.has(user)) continue;
      members.add(user);
      state.memberships.push({ groupid: g, userid: user, role: random(2) === 0 ? 0 : 3, admin_rights: random(4) === 0 ? "read" : "full" });
    }
  }
  return state;
}

function medianNs(iterations, f) {
  const batches = 21;
  const perBatch = Math.max(1, Math.floor(iterations / batches));
  for (let i = 0; i < perBatch; i++) f(i); // warm up
  const samples = [];
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) f(i);
    samples.push(Number(process.hrtime.bigint() - start) / perBatch);
  }
  samples.sort((x, y) => x - y);
  return samples[batches >> 1];
}

await init();
const state = generate(users);
const stateJson = JSON.stringify(state);
const buildStart = process.hrtime.bigint();
const engine = new Engine("emoncms", stateJson);
const buildMs = Number(process.hrtime.bigint() - buildStart) / 1e6;
console.log(
  `state: ${state.users.length} users, ${state.groups.length} groups, ${state.memberships.length} memberships, ` +
    `${state.feeds.length} feeds (${(stateJson.length / 1e6).toFixed(1)} MB); Engine built in ${buildMs.toFixed(0)} ms`,
);

// A mix of pairs, fixed in advance so the loop times only the check.
const pairs = Array.from({ length: 1024 }, (_, i) => [
  1 + ((i * 7919) % users),
  10 + ((i * 104729) % (users * 10)),
]);
let allowed = 0;
for (const [actor, feed] of pairs) if (engine.canReadFeed(actor, feed)) allowed++;
console.log(`pairs: ${pairs.length}, allowed: ${allowed}`);

const fast = medianNs(2_000_000, (i) => {
  const [actor, feed] = pairs[i & 1023];
  if (engine.canReadFeed(actor, feed)) allowed++;
});
const requests = pairs.map(([actor, feed]) => JSON.stringify({ v: 1, op: "check", actor, action: "feed.read", feed }));
const handle = medianNs(100_000, (i) => engine.handle(requests[i & 1023]));
const check = medianNs(100_000, (i) => {
  const [actor, feed] = pairs[i & 1023];
  return engine.check(actor, "feed.read", { feed }).allowed;
});
console.log(`bench/node: canReadFeed median ${fast.toFixed(0)} ns (target <= 300)`);
console.log(`bench/node: check()     median ${check.toFixed(0)} ns (request built with serde_json, Decision made by serde-wasm-bindgen)`);
console.log(`bench/node: handle()    median ${handle.toFixed(0)} ns (JSON text in and out)`);
engine.free();
