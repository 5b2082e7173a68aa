// Types of the emongroups npm package (index.js) and of the wire it speaks (core/WIRE.md).
// The wire is JSON: every `Engine` method is one request; `call` takes and returns the raw text.

/** Loads the WebAssembly module once (Node reads the file, a browser fetches it). */
export function init(
  source?: BufferSource | Response | Promise<Response> | URL | string | WebAssembly.Module,
): Promise<void>;

/** Loads the module synchronously from its bytes or a compiled module. */
export function initSync(bytesOrModule: BufferSource | WebAssembly.Module): void;

/** The wire: one JSON request text in, one JSON answer text out. Never throws. */
export function call(request: string): string;

/** The engine's name, version, wire version and profiles. */
export function version(): VersionInfo;

/** One profile's facts, indexed once, answering many requests. */
export class Engine {
  /**
   * Builds an engine from the profile's state: JSON text, or its UTF-8 bytes (what
   * `fetch(…).arrayBuffer()` or `fs.readFileSync` give).
   * @throws {EngineError} `unknown_profile`, `bad_json` (also for bytes that are not UTF-8),
   * `too_large`, `too_deep`, `invalid_state`, …
   */
  constructor(profile: Profile, stateJson: string | Uint8Array | ArrayBuffer);
  /** The profile this engine holds. */
  readonly profile: Profile;
  /** Answers one wire request (JSON text; `state` may be omitted) with the answer text. Never throws. */
  handle(request: string): string;
  /** May `actor` (0 = anonymous) do `action` to the object? @throws {EngineError} */
  check(actor: number, action: Action | string, object?: ObjectRef): Decision;
  /** Everyone who may do `action` to the object. @throws {EngineError} */
  whoCan(action: Action | string, object?: ObjectRef): WhoCan;
  /** Everything `user` may do. @throws {EngineError} */
  whatCan(user: number): WhatCan;
  /** Who would gain or lose what if `changes` were applied. @throws {EngineError} */
  whatIf(changes: AnyChange[], users?: number[]): WhatIf;
  /** One emoncms group-module route (profile `emoncms`). @throws {EngineError} */
  route(
    route: Route | string,
    session: Session,
    params: Record<string, string | null>,
    host?: HostAnswers,
    now?: number,
  ): RouteResult;
  /**
   * The fast path of `check(actor, "feed.read", { feed })` (profile `emoncms`): the verdict only,
   * no JSON on the way. @throws {EngineError} `bad_request` for a value that is not an id,
   * `unknown_op` on another profile's engine.
   */
  canReadFeed(actor: number, feed: number): boolean;
  /** The engine's version result. */
  version(): VersionInfo;
  /** Frees the engine's memory now (otherwise when garbage-collected). */
  free(): void;
  [Symbol.dispose](): void;
}

/** What the Engine methods throw: a JS Error whose `code` is the wire error code. */
export interface EngineError extends Error {
  code: ErrorCode;
}

// ---- the envelope ----------------------------------------------------------------------------

export type Profile = "emoncms" | "home" | "buildings";

export type ErrorCode =
  | "bad_json"
  | "too_large"
  | "too_deep"
  | "bad_request"
  | "unsupported_version"
  | "unknown_op"
  | "unknown_profile"
  | "missing_state"
  | "invalid_state"
  | "policy"
  | "internal";

/** A request as `call` / `handle` take it (serialised with JSON.stringify). */
export interface Request {
  v: 1;
  op: string;
  profile?: Profile;
  state?: EmoncmsState | Record<string, unknown>;
  [field: string]: unknown;
}

export type Answer<T = unknown> = Success<T> | Failure;

export interface Success<T = unknown> {
  ok: true;
  result: T;
}

export interface Failure {
  ok: false;
  error: { code: ErrorCode; message: string };
}

export interface VersionInfo {
  engine: "emongroups";
  version: string;
  wire: number;
  profiles: Profile[];
}

// ---- checks and queries ----------------------------------------------------------------------

/** The emoncms profile's actions; other profiles define their own strings. */
export type Action =
  | "group.view"
  | "group.summary"
  | "group.aggregate"
  | "group.edit"
  | "group.delete"
  | "members.list"
  | "members.add"
  | "members.remove"
  | "member.feeds"
  | "member.profile"
  | "member.set_role"
  | "member.edit_account"
  | "member.impersonate"
  | "member.delete_account"
  | "member.send_login"
  | "feed.read";

/** The object fields of a check: those its action needs. */
export interface ObjectRef {
  group?: number;
  user?: number;
  feed?: number;
  [field: string]: unknown;
}

export interface Decision {
  allowed: boolean;
  /** `ok` when allowed; `not_found` when the actor may not even see the object; `forbidden` otherwise. */
  status: "ok" | "not_found" | "forbidden";
  /** A stable reason code, e.g. `not_group_admin`, `passive_member`, `read_only_rights`. */
  reason: string;
  /** The facts that led there, in order. */
  chain: Fact[];
}

export interface Fact {
  fact: "session" | "group" | "membership" | "user" | "feed" | "rule" | string;
  [detail: string]: unknown;
}

export interface WhoCan {
  everyone: boolean;
  users: number[];
}

export interface Capability {
  action: Action | string;
  group?: number;
  user?: number;
  feed?: number;
  [field: string]: unknown;
}

export interface WhatCan {
  user: number;
  capabilities: Capability[];
  /** Other users' public feeds are readable by everyone and not listed. */
  public_feeds?: boolean;
  [field: string]: unknown;
}

export interface WhatIf {
  diff: { user: number; gains: Capability[]; loses: Capability[] }[];
}

// ---- profile emoncms -------------------------------------------------------------------------

export type Flag = boolean | 0 | 1 | "0" | "1";

export interface EmoncmsState {
  groups?: {
    id: number;
    name: string;
    description?: string | null;
    organization?: string | null;
    area?: string | null;
    visibility?: "public" | "private";
    access?: "open" | "closed";
  }[];
  memberships?: { groupid: number; userid: number; role: number; admin_rights: "full" | "read" | null }[];
  users?: {
    id: number;
    username: string;
    admin?: Flag;
    access?: 0 | 1 | 2;
    name?: string | null;
    email?: string | null;
    bio?: string | null;
    location?: string | null;
    timezone?: string | null;
    tags?: Record<string, unknown> | string | null;
    inputs?: unknown;
  }[];
  feeds?: {
    id: number | string;
    userid: number | string;
    name?: string;
    tag?: string;
    public?: Flag;
    time?: number | null;
    value?: number | null;
    [column: string]: unknown;
  }[];
}

export interface Session {
  userid?: number;
  read?: boolean;
  write?: boolean;
  admin?: boolean;
  apikey?: boolean;
  username?: string;
  previous_userid?: number | null;
  previous_username?: string | null;
  previous_admin?: boolean | null;
  [key: string]: unknown;
}

export type Route =
  | "create"
  | "editgroup"
  | "delete"
  | "deleteallgroupsfromuser"
  | "addmemberauth"
  | "adduserauth"
  | "createuseraddtogroup"
  | "removeuser"
  | "fullremoveuser"
  | "setuserinfo"
  | "sendlogindetails"
  | "setuser"
  | "logasprevioususer"
  | "grouplist"
  | "userlist"
  | "mygroups"
  | "getuserfeeds"
  | "getsessionuserrole"
  | "getfeed"
  | "csvexport"
  | "aggregate"
  | "summary";

/** Answers to earlier needs, keyed by the need's kind. */
export interface HostAnswers {
  verify_login?: { success: boolean; userid?: number; [key: string]: unknown };
  register_user?: { success: boolean; userid?: number; [key: string]: unknown };
  new_groupid?: number;
  delete_user?: string;
  send_email?: { success: boolean; message?: string };
  feed_data?: unknown;
}

export type RouteResult =
  | { outcome: "done"; format: "json"; body: unknown; changes: Change[]; session?: Record<string, unknown> }
  | { outcome: "done"; format: "text" | "redirect"; body: string; changes: Change[]; session?: Record<string, unknown> }
  | { outcome: "need"; need: Need };

export type Need =
  | { kind: "verify_login"; username: string; password: string }
  | { kind: "register_user"; username: string; password: string; email: string; timezone: string }
  | { kind: "new_groupid" }
  | { kind: "delete_user"; userid: number }
  | { kind: "send_email"; userid: number; to: string; subject: string; body: string; bcc: number | null }
  | { kind: "feed_data"; feedids: number[]; mode: "data" | "average" | "csv"; [field: string]: unknown };

interface GroupRow {
  id: number;
  name: string;
  description: string | null;
  organization: string | null;
  area: string | null;
  visibility: "public" | "private";
  access: "open" | "closed";
}

/** The rows to write, in order, in one transaction (profile emoncms). */
export type Change =
  | ({ kind: "insert_group" } & GroupRow)
  | ({ kind: "update_group" } & GroupRow)
  | { kind: "delete_group"; id: number }
  | { kind: "insert_membership"; groupid: number; userid: number; role: number; admin_rights: "full" | "read" | null }
  | { kind: "update_membership"; groupid: number; userid: number; role: number; admin_rights: "full" | "read" | null }
  | { kind: "delete_membership"; groupid: number; userid: number }
  | {
      kind: "update_user_profile";
      userid: number;
      name?: string;
      location?: string;
      bio?: string;
      timezone?: string;
      tags?: unknown;
    }
  | { kind: "set_username"; userid: number; username: string }
  | { kind: "set_email"; userid: number; email: string }
  | { kind: "set_password"; userid: number; password: string };

/** A change of any profile (`home` and `buildings` define their own kinds). */
export type AnyChange = Change | { kind: string; [field: string]: unknown };
