// Types of the emongroups npm package (index.js) and of the wire it speaks (core/WIRE.md).
// The wire is JSON: every `Engine` method is one request; `call` takes and returns the raw text.
// The emoncms profile's typed answers, its changes and the error codes are generated from the
// Rust types that write them (wire.d.ts, core/src/ts.rs); what is below is the package's own
// API, the envelope, the state and the routes (emoncms's own JSON bodies).

import type {
  Action,
  Change,
  Decision,
  ErrorCode,
  Profile,
  Status,
  VersionInfo,
  WhatCan,
  WhatIf,
  WhoCan,
} from "./wire";

// Every generated type is the package's too.
export * from "./wire";

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

/**
 * One profile's facts, indexed once, answering many requests. `P` is the profile, inferred from
 * the constructor: the emoncms profile's answers are typed exactly, the others' loosely.
 */
export class Engine<P extends Profile = Profile> {
  /**
   * Builds an engine from the profile's state: JSON text, or its UTF-8 bytes (what
   * `fetch(…).arrayBuffer()` or `fs.readFileSync` give).
   * @throws {EngineError} `unknown_profile`, `bad_json` (also for bytes that are not UTF-8),
   * `too_large`, `too_deep`, `invalid_state`, …
   */
  constructor(profile: P, stateJson: string | Uint8Array | ArrayBuffer);
  /** The profile this engine holds. */
  readonly profile: P;
  /** Answers one wire request (JSON text; `state` may be omitted) with the answer text. Never throws. */
  handle(request: string): string;
  /** May `actor` (0 = anonymous) do `action` to the object? @throws {EngineError} */
  check(actor: number, action: Action | string, object?: ObjectRef): P extends "emoncms" ? Decision : OtherDecision;
  /** Everyone who may do `action` to the object. @throws {EngineError} */
  whoCan(action: Action | string, object?: ObjectRef): P extends "emoncms" ? WhoCan : OtherWhoCan;
  /** Everything `user` may do. @throws {EngineError} */
  whatCan(user: number): P extends "emoncms" ? WhatCan : OtherWhatCan;
  /** Who would gain or lose what if `changes` were applied. @throws {EngineError} */
  whatIf(changes: AnyChange[], users?: number[]): P extends "emoncms" ? WhatIf : OtherWhatIf;
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

// ---- checks and queries ----------------------------------------------------------------------

/** The object fields of a check: those its action needs. */
export interface ObjectRef {
  group?: number;
  user?: number;
  feed?: number;
  [field: string]: unknown;
}

/** `check` on the home and buildings profiles: their own reason codes and facts. */
export interface OtherDecision {
  allowed: boolean;
  status: Status;
  reason: string;
  chain: { fact: string; [detail: string]: unknown }[];
}

/** `who_can` on the home and buildings profiles (their user ids are strings). */
export interface OtherWhoCan {
  everyone: boolean;
  users: (string | number)[];
}

/** One thing a user may do on the home and buildings profiles. */
export interface OtherCapability {
  action: string;
  [object: string]: unknown;
}

/** `what_can` on the home and buildings profiles. */
export interface OtherWhatCan {
  user: string | number;
  capabilities: OtherCapability[];
  [field: string]: unknown;
}

/** `what_if` on the home and buildings profiles. */
export interface OtherWhatIf {
  diff: { user: string | number; gains: OtherCapability[]; loses: OtherCapability[] }[];
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
  | { outcome: "done"; format: "text" | "redirect" | "csv"; body: string; changes: Change[]; session?: Record<string, unknown> }
  | { outcome: "need"; need: Need };

export type Need =
  | { kind: "verify_login"; username: string; password: string }
  | { kind: "register_user"; username: string; password: string; email: string; timezone: string }
  | { kind: "new_groupid" }
  | { kind: "delete_user"; userid: number }
  | { kind: "send_email"; userid: number; to: string; subject: string; body: string; bcc: number | null }
  | { kind: "feed_data"; feedids: number[]; mode: "data" | "average" | "csv"; [field: string]: unknown };

/** A change of any profile (`home` and `buildings` define their own kinds). */
export type AnyChange = Change | { kind: string; [field: string]: unknown };
