// The access preview: the emongroups engine (WebAssembly) run in the browser on the snapshot the
// module serves (group/snapshot), so the page can show who gains or loses what before a change is
// saved. Nothing here talks to the server; the page fetches the snapshot and passes it in.

/** The user id the preview gives a member who does not exist yet (add member, create user). */
export const PLACEHOLDER = 2147480000;

const MEMBERSHIP_KINDS = new Set(["insert_membership", "update_membership", "delete_membership"]);
// Changes to a users row that no access rule reads.

let loading = null;

/**
 * Loads the WebAssembly package once (index.js, emongroups_wasm.js and the .wasm under `base`,
 * a URL ending in "/"). Answers the package's module ({ Engine, call, … }). The .wasm is fetched
 * and compiled (compileStreaming: as its bytes arrive, off the main thread) while the two glue
 * modules load, not after them. Leaves the measure "emongroups:wasm" (first call to instantiated).
 */
export function loadEngine(base) {
  if (loading === null) {
    const start = performance.now();
    const compiled = compileEngine(new URL("emongroups_wasm_bg.wasm", base));
    compiled.catch(() => {});
    loading = import(new URL("index.js", base).href)
      .then(async (mod) => {
        await mod.init(await compiled);
        performance.measure("emongroups:wasm", { start });
        return mod;
      })
      .catch((error) => {
        loading = null;
        throw error;
      });
  }
  return loading;
}

/** The compiled module of the .wasm at `url`; from its bytes when the server's MIME type is not application/wasm. */
async function compileEngine(url) {
  if (typeof WebAssembly.compileStreaming === "function") {
    try {
      return await WebAssembly.compileStreaming(fetch(url, { credentials: "same-origin" }));
    } catch {
      // a wrong Content-Type (or a failed request): fetched again below, for its bytes and status
    }
  }
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`the engine ${url.pathname} answered ${response.status} ${response.statusText}`);
  return WebAssembly.compile(await response.arrayBuffer());
}

/** Is this capability about the previewed group (or a feed)? The preview shows only those. */
export function inGroup(cap, gid) {
  return cap.action === "feed.read" || cap.group === gid;
}

/** A stable key for a capability (its action and object fields). */
export function capKey(cap) {
  return [cap.action, cap.group ?? "", cap.user ?? "", cap.feed ?? ""].join("|");
}

/**
 * One group's snapshot loaded into an Engine, with what the page needs to name people and feeds.
 * `snapshot`: the body of group/snapshot ({groupid, viewer, state}); `session`: the viewer's
 * engine session (core/WIRE.md); `stateJson` (optional): snapshot.state as the engine reads it,
 * JSON text or its UTF-8 bytes (a Uint8Array), when the caller has it already.
 */
export class GroupPreview {
  constructor(wasm, snapshot, session, stateJson) {
    this.wasm = wasm;
    this.gid = snapshot.groupid;
    this.viewer = snapshot.viewer;
    this.session = session;
    this.state = snapshot.state;
    this.engine = new wasm.Engine("emoncms", stateJson ?? JSON.stringify(snapshot.state));
    this.users = new Map((this.state.users || []).map((u) => [u.id, u]));
    this.feeds = new Map((this.state.feeds || []).map((f) => [Number(f.id), f]));
    this.feedsOf = new Map();
    for (const f of this.state.feeds || []) {
      const owner = Number(f.userid);
      if (!this.feedsOf.has(owner)) this.feedsOf.set(owner, []);
      this.feedsOf.get(owner).push(Number(f.id));
    }
    this.roles = new Map();
    for (const m of this.state.memberships || []) {
      if (m.groupid === this.gid) this.roles.set(m.userid, { role: m.role, admin_rights: m.admin_rights });
    }
    this.members = [...this.roles.keys()].sort((a, b) => a - b);
  }

  free() {
    this.engine.free();
  }

  /** A person's name for the page. */
  name(uid) {
    if (uid === PLACEHOLDER) return "the new member";
    const u = this.users.get(uid);
    return u ? u.username : `user ${uid}`;
  }

  feedName(fid) {
    const f = this.feeds.get(fid);
    return f ? `${this.name(Number(f.userid))}:${f.name ?? fid}` : `feed ${fid}`;
  }

  /** A Decision for the viewer or anyone in the snapshot. */
  check(actor, action, object) {
    return this.engine.check(actor, action, object);
  }

  /**
   * Runs `route` with `params` as the page will send it, answering the host's needs the way the
   * preview can: a login or a registration succeeds as PLACEHOLDER; an account deletion becomes
   * the removal of the member (the account and its feeds are gone, so it loses everything).
   * Answers {refused} when the engine predicts the server's refusal, else the changes and the diff.
   */
  preview(route, params) {
    const host = {};
    const now = Math.floor(Date.now() / 1000);
    let notes = [];
    let result;
    for (let i = 0; i < 4; i++) {
      result = this.engine.route(route, this.session, params, host, now);
      if (result.outcome !== "need") break;
      const need = result.need;
      if (need.kind === "verify_login" || need.kind === "register_user") {
        host[need.kind] = { success: true, userid: PLACEHOLDER };
        notes.push("The new member's own feeds and other groups are not known before saving.");
      } else if (need.kind === "delete_user") {
        host.delete_user = "preview";
      } else {
        return { route, params, unsupported: need.kind };
      }
    }
    if (result.outcome === "need") return { route, params, unsupported: result.need.kind };
    const body = result.body;
    if (body && typeof body === "object" && body.success === false) {
      return { route, params, refused: String(body.message ?? "refused") };
    }
    let changes = result.changes || [];
    if (route === "fullremoveuser") {
      // core's delete_user removes the rows itself; for access it is the member leaving the group
      // (the engine already refused members of other groups) and its feeds disappearing.
      const uid = Number(params.userid);
      changes = [{ kind: "delete_membership", groupid: this.gid, userid: uid }];
      // The preview's facts hold nothing about other groups or site administrators (they are not
      // the viewer's to see): the server checks those, so say that here.
      notes.push(`The account of ${this.name(uid)}, its feeds and their data are deleted permanently, unless ${this.name(uid)} belongs to another group or is a site administrator: the server checks that when you confirm.`);
    }
    // The engine examines exactly the people whose access the changes can alter.
    const diff = this.whatIf(changes);
    return { route, params, body, changes, diff, notes };
  }

  /**
   * Every member of the group and every user the changes add to it: the people whose access a
   * preview can be checked on (the tests and the benchmark ask what_if about all of them).
   */
  everyone(changes) {
    const all = new Set(this.members);
    for (const c of changes) if (MEMBERSHIP_KINDS.has(c.kind) && c.groupid === this.gid) all.add(c.userid);
    return [...all].sort((a, b) => a - b);
  }

  /**
   * what_if, keeping only capabilities of this group and feeds; `users` (optional) limits the
   * people asked about, else the engine picks those whose access can change.
   */
  whatIf(changes, users) {
    if (!changes.length || (users && !users.length)) return [];
    const out = [];
    for (const d of this.engine.whatIf(changes, users).diff) {
      const gains = d.gains.filter((c) => inGroup(c, this.gid));
      const loses = d.loses.filter((c) => inGroup(c, this.gid));
      if (gains.length || loses.length) out.push({ user: d.user, gains, loses });
    }
    return out;
  }

  /** Everything `uid` may do in this group now (what_can, filtered). */
  whatCan(uid) {
    return this.engine.whatCan(uid).capabilities.filter((c) => inGroup(c, this.gid));
  }

  /**
   * The predicted access after `changes`: user id → capabilities in this group (what_can on the
   * state the changes lead to). Used by the tests that compare the preview with the server.
   */
  predictedAfter(changes, users) {
    // `apply` reads the request's own state (a held engine does not answer it).
    const answer = JSON.parse(this.wasm.call(JSON.stringify({ v: 1, op: "apply", profile: "emoncms", state: this.state, changes })));
    if (!answer.ok) throw new Error(answer.error.message);
    const after = new this.wasm.Engine("emoncms", JSON.stringify(answer.result.state));
    try {
      const out = {};
      for (const uid of users) {
        out[uid] = after.whatCan(uid).capabilities.filter((c) => inGroup(c, this.gid));
      }
      return out;
    } finally {
      after.free();
    }
  }
}
