// emongroups — the group page (group_view.php's markup). Plain ES module, no jQuery, no build.
// Talks to the module's routes (core/ROUTES.md) and previews every change of access with the
// emongroups engine compiled to WebAssembly (preview/), before anything is sent.

import { loadEngine, GroupPreview } from "./preview/engine.js";
import { renderPreview, el } from "./preview/diff-view.js";
import { renderGroupMatrix, renderViewAs, roleName } from "./preview/matrix.js";

const cfg = window.GROUP_CONFIG || { path: "/", base: "/Modules/group/", wasm: "/Modules/group/lib/", userid: 0 };
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

const MATRIX_ROWS = 50;

/**
 * A page text in the user's language: group_view.php passes every text of this file through
 * emoncms's gettext `_()` (GROUP_CONFIG.text, keyed by the English text); `{name}` marks a value.
 */
const TEXT = cfg.text && typeof cfg.text === "object" ? cfg.text : {};
function t(english, values = {}) {
  const text = typeof TEXT[english] === "string" && TEXT[english] ? TEXT[english] : english;
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

/** Everything the page knows; window.groupPage for the browser tests and for debugging. */
const page = {
  groups: [],
  gid: null,
  summary: null,
  role: null,
  users: [],
  preview: null,
  previewError: null,
  lastPreview: null,
  lastSave: null,
  matrixAll: false,
  api,
  selectGroup,
  reload: () => selectGroup(page.gid),
};
window.groupPage = page;

function setState(state) {
  $("#group-page").dataset.state = state;
  // The first time the page has drawn what it loaded (see the performance entries at loadPreview).
  if (state === "ready" && !performance.getEntriesByName("emongroups:page-ready", "mark").length) performance.mark("emongroups:page-ready");
}

// ---- requests ---------------------------------------------------------------------------------

/**
 * One module route. GET routes carry params in the query string, POST routes in the body (as
 * 2.0.0's UI sent them). A `{"success":false}` answer rejects with its message.
 */
async function api(route, { method = "GET", params = {} } = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) query.append(k, String(v));
  let url = `${cfg.path}group/${route}.json`;
  // The session's request token (group_controller.php refuses changes without it).
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", "X-Emongroups-Csrf": cfg.csrf || "" } };
  if (method === "GET") {
    if ([...query].length) url += `?${query}`;
  } else {
    init.body = query;
  }
  return answer(fetch(url, init));
}

/** A module route's answer (a promise of the fetch Response) as api() gives it. */
async function answer(request) {
  let response;
  try {
    response = await request;
  } catch (error) {
    throw new Error(t("Network error: {error}", { error: error.message }));
  }
  const text = await response.text();
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`${response.status}: ${response.statusText || t("the answer is not JSON")}`);
  }
  if (data && typeof data === "object" && !Array.isArray(data) && data.success === false) {
    throw new Error(String(data.message ?? t("failed")).replace(/\\n/g, "\n"));
  }
  return data;
}

function notify(message, kind = "success") {
  const box = $("#group-message");
  box.textContent = message;
  box.className = `eg-snackbar eg-${kind}`;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => { box.textContent = ""; box.className = "eg-snackbar"; }, 6000);
}

// ---- group list ---------------------------------------------------------------------------------

async function loadGroups() {
  const list = $("#group-list");
  try {
    // The first time, the list the page came with (group_view.php, GROUP_CONFIG.groups).
    const given = cfg.groups;
    cfg.groups = null;
    page.groups = Array.isArray(given) ? given : await api("grouplist");
  } catch (error) {
    list.replaceChildren(el("li", { class: "text-error", text: error.message }));
    return;
  }
  list.replaceChildren();
  if (!page.groups.length) list.append(el("li", { class: "muted", text: t("You are in no group yet.") }));
  for (const g of page.groups) {
    const a = el("a", { class: "group", href: `#${g.name}`, "data-groupid": g.groupid, text: g.name });
    a.append(el("small", { class: "muted", text: ` ${roleName(g.role)}` }));
    a.addEventListener("click", (e) => {
      e.preventDefault();
      history.replaceState(null, "", `#${g.name}`);
      selectGroup(g.groupid);
    });
    list.append(el("li", { class: g.groupid === page.gid ? "active" : "" }, a));
  }
}

function groupFromHash() {
  const name = decodeURIComponent(location.hash.replace(/^#/, ""));
  return page.groups.find((g) => g.name === name) || null;
}

// ---- one group ----------------------------------------------------------------------------------

let selecting = 0;

/** A staff role (administrator, sub-administrator): the roles that list members and preview. */
const listsMembers = (role) => role === 1 || role === 2;

/** group/snapshot's answer as bytes (UTF-8 JSON; loadPreview reads it), of `request` when given. */
function fetchSnapshot(gid, request) {
  return (request || fetch(`${cfg.path}group/snapshot.json?groupid=${gid}`, { credentials: "same-origin" }))
    .then((r) => r.arrayBuffer()).then((b) => new Uint8Array(b));
}

/**
 * The requests group_view.php started for the group named in the address (GROUP_CONFIG.early:
 * userlist and snapshot, fetch promises) when they are for `gid`; taken once.
 */
function takeEarly(gid) {
  const early = cfg.early;
  cfg.early = null;
  return early && early.groupid === gid ? early : null;
}

async function selectGroup(gid) {
  const ticket = ++selecting;
  setState("loading");
  page.gid = gid;
  for (const li of $$("#group-list li")) li.classList.toggle("active", Number($("a", li)?.dataset.groupid) === gid);
  if (!gid) {
    $("#group-selected").hidden = true;
    $("#group-none").hidden = false;
    dropPreview();
    setState("ready");
    return;
  }
  try {
    // Everything at once: the role and summary, and — when the group list already says the
    // viewer is staff here — the member list and the snapshot (megabytes each, the longest
    // requests; for the group in the address group_view.php asked for them already), instead of
    // one after the other. getsessionuserrole stays the authority: with another role than the
    // list said, the lists are asked for (or dropped) after it.
    const listed = page.groups.find((g) => g.groupid === gid);
    const early = listed && listsMembers(listed.role);
    const started = takeEarly(gid);
    if (early) loadEngine(new URL(cfg.wasm, location.href)).catch(() => {});
    const rolePromise = api("getsessionuserrole", { params: { groupid: gid } });
    const summaryPromise = api("summary", { params: { groupid: gid } });
    let usersPromise = early ? (started ? answer(started.userlist) : api("userlist", { params: { groupid: gid } })) : null;
    let snapshotPromise = early ? fetchSnapshot(gid, started && started.snapshot) : null;
    // A request that fails while the role is awaited, or ends up unused, is no unhandled
    // rejection (Promise.all below still sees the failure of one it uses).
    for (const p of [summaryPromise, usersPromise, snapshotPromise]) p?.catch(() => {});
    const role = await rolePromise;
    if (listsMembers(role) && !early) {
      usersPromise = api("userlist", { params: { groupid: gid } });
      snapshotPromise = fetchSnapshot(gid);
    } else if (!listsMembers(role)) {
      usersPromise = snapshotPromise = null;
    }
    if (!snapshotPromise) {
      dropPreview();
      page.previewError = null;
    }
    // The preview loads as soon as the snapshot and the engine are in; the group is drawn after
    // it, once (the member list asks the preview what the viewer may do to each member).
    const [summary, users] = await Promise.all([summaryPromise, usersPromise, snapshotPromise && loadPreview(snapshotPromise, ticket)]);
    if (ticket !== selecting) return;
    page.role = role;
    page.summary = summary;
    page.users = Array.isArray(users) ? users : [];
    renderGroup();
    renderMembers();
    renderAccess();
  } catch (error) {
    if (ticket !== selecting) return;
    notify(error.message, "error");
  }
  if (ticket === selecting) setState("ready");
}

function dropPreview() {
  if (page.preview) page.preview.free();
  page.preview = null;
}

// Performance entries of the page (what scripts/bench-page.sh reads; README, "Performance"):
//   measure "emongroups:wasm"          the engine's package fetched, compiled and instantiated
//                                      (preview/engine.js loadEngine, from its first call)
//   measure "emongroups:engine-load"   the snapshot read and loaded into the engine (GroupPreview)
//   mark    "emongroups:preview-ready" the access preview is usable (once per page load: the first
//                                      group whose preview loads)
//   mark    "emongroups:page-ready"    the page first drew what it loaded (data-state="ready")
function markPreviewReady() {
  if (!performance.getEntriesByName("emongroups:preview-ready", "mark").length) performance.mark("emongroups:preview-ready");
}

/**
 * The preview of group/snapshot's answer (a promise of its bytes). The engine is fetched and
 * compiled meanwhile (loadEngine, started when the group was chosen). Only the answer's `state`
 * goes to the engine, as the bytes of the answer it is (stateBytes), not parsed and encoded again.
 */
async function loadPreview(snapshotPromise, ticket) {
  dropPreview();
  page.previewError = null;
  try {
    const wasmPromise = loadEngine(new URL(cfg.wasm, location.href));
    wasmPromise.catch(() => {});
    const bytes = await snapshotPromise;
    if (!bytes || !bytes.length) return;
    const wasm = await wasmPromise;
    if (ticket !== selecting) return;
    const loadStart = performance.now();
    const text = new TextDecoder().decode(bytes);
    let snapshot;
    try {
      snapshot = JSON.parse(text);
    } catch {
      throw new Error(t("the answer is not JSON"));
    }
    if (!snapshot.success) throw new Error(snapshot.message || t("no snapshot"));
    const session = { userid: cfg.userid, read: cfg.read, write: cfg.write, admin: cfg.admin, apikey: false, username: cfg.username };
    page.preview = new GroupPreview(wasm, snapshot, session, stateBytes(bytes, text, snapshot));
    performance.measure("emongroups:engine-load", { start: loadStart });
    markPreviewReady();
  } catch (error) {
    page.previewError = error.message || String(error);
  }
}

/**
 * The state of the answer, for the engine: the engine writes the answer as
 * `{"success":true,"groupid":G,"viewer":V,"state":{…}}` with no spaces. When the parsed answer has
 * exactly those members in that order (the state last) and the text starts that way, the state is
 * the rest of the bytes but the closing brace (what comes before it is ASCII, so characters and
 * bytes count alike); otherwise (another writer) it is encoded again.
 */
function stateBytes(bytes, text, snapshot) {
  const head = /^\{"success":true,"groupid":-?\d+,"viewer":-?\d+,"state":/.exec(text);
  const end = bytes.lastIndexOf(0x7d); // "}"
  if (head && Object.keys(snapshot).join(",") === "success,groupid,viewer,state" && end > head[0].length) {
    return bytes.subarray(head[0].length, end);
  }
  return JSON.stringify(snapshot.state);
}

function renderGroup() {
  const s = page.summary;
  $("#group-none").hidden = true;
  $("#group-selected").hidden = false;
  $("#groupname").textContent = s.name;
  $("#groupdescription").textContent = s.description || "";
  const details = [
    ["organization", t("Organization"), s.organization], ["area", t("Area"), s.area], ["visibility", t("Visibility"), s.visibility],
    ["access", t("Access"), s.access], ["members", t("Members"), s.members], ["your role", t("Your role"), roleName(page.role)],
  ];
  $("#group-details").replaceChildren(...details.flatMap(([field, label, v]) => [
    el("span", { class: "eg-detail" }, el("span", { class: "muted", text: `${label}: ` }), el("span", { "data-field": field, text: v ?? "" })),
  ]));
  for (const b of $$("[data-admin]")) b.hidden = page.role !== 1;
  const listed = page.role === 1 || page.role === 2;
  $("#group-members-area").hidden = !listed;
  $("#group-nolist").hidden = listed;
}

// ---- members ------------------------------------------------------------------------------------

function ageClass(seconds) {
  if (seconds === null) return "eg-age-none";
  if (seconds < 25) return "eg-age-1";
  if (seconds < 60) return "eg-age-2";
  if (seconds < 7200) return "eg-age-3";
  return "eg-age-4";
}

function ageText(seconds) {
  if (seconds === null) return t("never");
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

function feedAge(feed, now) {
  const time = Number(feed.time);
  return feed.time === null || feed.time === undefined || !Number.isFinite(time) || time <= 0 ? null : now - time;
}

function tagsOf(user) {
  let tags = user.tags;
  if (typeof tags === "string") {
    try { tags = JSON.parse(tags); } catch { tags = null; }
  }
  return tags && typeof tags === "object" && !Array.isArray(tags) ? tags : {};
}

function renderTagOptions() {
  const select = $("#group-tag-grouping");
  const current = select.value;
  const keys = new Set();
  for (const u of page.users) for (const k of Object.keys(tagsOf(u))) keys.add(k);
  select.replaceChildren(el("option", { value: "", text: t("(no grouping)") }), ...[...keys].sort().map((k) => el("option", { value: k, text: k })));
  select.value = keys.has(current) ? current : "";
}

function memberRow(u, now) {
  const feeds = Array.isArray(u.feedslist) ? u.feedslist : [];
  const ages = feeds.map((f) => feedAge(f, now)).filter((a) => a !== null);
  const newest = ages.length ? Math.min(...ages) : null;
  const tr = el("tr", { class: "user-info", "data-userid": u.userid });
  const who = el("td", {}, el("span", { class: "user-name", text: u.username }));
  if (u.name) who.append(el("small", { class: "muted", text: ` ${u.name}` }));
  tr.append(who, el("td", { class: "user-role", text: roleName(u.role) }), el("td", { class: "user-rights", text: u.admin_rights ?? "—" }));
  const feedsId = `group-feeds-${u.userid}`;
  const toggle = el("button", { type: "button", class: "btn btn-link eg-feeds-toggle", "aria-expanded": "false", "aria-controls": feedsId, text: feeds.length === 1 ? t("{n} feed", { n: 1 }) : t("{n} feeds", { n: feeds.length }), disabled: feeds.length === 0 });
  tr.append(el("td", {}, toggle));
  tr.append(el("td", {}, el("span", { class: `eg-age ${ageClass(newest)}`, text: ageText(newest) })));
  const actions = el("td", { class: "eg-row-actions" });
  // What this viewer may do to this member, as the engine decides it (the same rules the server
  // enforces); without the engine, the administrator's buttons on everyone else.
  const may = (action) => page.preview
    ? page.preview.check(cfg.userid, action, { group: page.gid, user: u.userid }).allowed
    : page.role === 1 && u.userid !== cfg.userid && (action !== "member.impersonate" || u.admin_rights === "full");
  if (may("member.set_role") || may("member.edit_account")) {
    const edit = el("button", { type: "button", class: "btn btn-small eg-edit", title: t("Edit user"), text: t("Edit") });
    edit.addEventListener("click", () => openEditUser(u, edit));
    actions.append(edit);
  }
  if (may("members.remove")) {
    const remove = el("button", { type: "button", class: "btn btn-small eg-remove", title: t("Remove user"), text: t("Remove") });
    remove.addEventListener("click", () => openRemoveUser(u, remove));
    if (actions.childNodes.length) actions.append(" ");
    actions.append(remove);
  }
  if (may("member.impersonate")) {
    const href = `${cfg.path}group/setuser?groupid=${page.gid}&userid=${u.userid}`;
    if (actions.childNodes.length) actions.append(" ");
    actions.append(el("a", { class: "btn btn-small setuser", href, title: t("Log in as {username}", { username: u.username }), text: t("Log in as") }));
  }
  tr.append(actions);

  // The member's feed tables are made when first opened: a group of 1,000 members with 20 feeds
  // each would otherwise draw 20,000 hidden rows before the page is ready.
  const detail = el("tr", { class: "eg-feeds-row", id: feedsId, hidden: true });
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    if (open && !detail.firstChild) detail.append(feedTables(feeds, now));
    toggle.setAttribute("aria-expanded", String(open));
    detail.hidden = !open;
  });
  return [tr, detail];
}

/** A member's feeds, one table per tag, in the cell of its feeds row. */
function feedTables(feeds, now) {
  const cellBox = el("td", { colspan: 6 });
  const byTag = new Map();
  for (const f of feeds) {
    const tag = f.tag || "(no tag)";
    if (!byTag.has(tag)) byTag.set(tag, []);
    byTag.get(tag).push(f);
  }
  for (const [tag, list] of byTag) {
    const table = el("table", { class: "table table-condensed eg-feeds" }, el("caption", { text: tag }));
    for (const f of list) {
      const age = feedAge(f, now);
      const pick = el("input", { type: "checkbox", class: "eg-feed-pick", value: f.id, id: `group-feed-${f.id}` });
      table.append(el("tr", {},
        el("td", {}, pick, " ", el("label", { for: `group-feed-${f.id}`, class: "eg-inline", text: f.name })),
        el("td", { class: "eg-num", text: f.value === null || f.value === undefined ? "" : `${f.value}${f.unit ? ` ${f.unit}` : ""}` }),
        el("td", {}, el("span", { class: `eg-age ${ageClass(age)}`, text: ageText(age) })),
        el("td", { class: "muted", text: `id ${f.id}` })));
    }
    cellBox.append(table);
  }
  return cellBox;
}

function renderMembers() {
  const table = $("#group-members");
  for (const tb of $$("tbody", table)) tb.remove();
  $("#group-member-count").textContent = `(${page.users.length})`;
  renderTagOptions();
  const key = $("#group-tag-grouping").value;
  const now = Date.now() / 1000;
  const groups = new Map();
  for (const u of page.users) {
    const value = key ? (tagsOf(u)[key] ?? "(none)") : "";
    const label = key ? `${key}: ${value}` : "";
    if (!groups.has(label)) groups.set(label, []);
    groups.get(label).push(u);
  }
  for (const [label, users] of [...groups].sort((a, b) => String(a[0]).localeCompare(String(b[0])))) {
    const tbody = el("tbody", { class: "eg-tag-group" });
    if (label) tbody.append(el("tr", { class: "eg-taghead" }, el("th", { colspan: 6, scope: "rowgroup", text: `${label} (${users.length})` })));
    for (const u of users) tbody.append(...memberRow(u, now));
    table.append(tbody);
  }
  updateCsvButton();
}

function updateCsvButton() {
  const n = $$(".eg-feed-pick:checked").length;
  const b = $("#group-csv");
  b.disabled = n === 0;
  b.textContent = n ? (n === 1 ? t("Download CSV ({n} feed)", { n }) : t("Download CSV ({n} feeds)", { n })) : t("Download CSV of selected feeds");
}

// ---- access matrix -------------------------------------------------------------------------------

function renderAccess() {
  const status = $("#group-access-status");
  const body = $("#group-access-body");
  const p = page.preview;
  if (!p) {
    body.hidden = true;
    status.textContent = page.previewError
      ? t("Access preview unavailable: {error}", { error: page.previewError })
      : t("Access preview unavailable.");
    return;
  }
  status.textContent = t("Computed in your browser by the emongroups engine from what you may see of this group. Hover or focus a cell for the reason.");
  body.hidden = false;
  const select = $("#group-viewas");
  const keep = Number(select.value) || cfg.userid;
  select.replaceChildren(...p.members.map((uid) => el("option", { value: uid, text: `${p.name(uid)} (${roleName(p.roles.get(uid).role)})${uid === cfg.userid ? t(" — you") : ""}` })));
  select.value = p.members.includes(keep) ? String(keep) : String(p.members[0] ?? "");
  renderMatrices();
}

function renderMatrices() {
  const p = page.preview;
  if (!p) return;
  const rows = page.matrixAll ? p.members : p.members.slice(0, MATRIX_ROWS);
  renderGroupMatrix($("#group-matrix-group"), p, rows);
  renderViewAs($("#group-matrix-viewas"), p, Number($("#group-viewas").value), rows);
  const more = $("#group-matrix-more");
  more.hidden = p.members.length <= MATRIX_ROWS;
  more.textContent = page.matrixAll ? t("Show the first {n} members", { n: MATRIX_ROWS }) : t("Show all {n} members", { n: p.members.length });
}

// ---- dialogs -------------------------------------------------------------------------------------

function openDialog(dialog, opener) {
  $(".eg-error", dialog).textContent = "";
  dialog.egOpener = opener || document.activeElement;
  dialog.showModal();
  const first = $("input:not([type=hidden]):not([disabled]), select, textarea", dialog);
  if (first) first.focus();
}

for (const dialog of $$("dialog.eg-modal")) {
  dialog.addEventListener("close", () => {
    const opener = dialog.egOpener;
    dialog.egOpener = null;
    if (opener && opener.isConnected) opener.focus();
  });
  for (const b of $$("[data-close]", dialog)) b.addEventListener("click", () => dialog.close());
}

/** The current request of a dialog (route, method, params) from its fields. */
const requests = {
  create(dialog) {
    return { route: "create", method: "GET", params: fields(dialog, ["name", "description", "organization", "area", "visibility", "access"]) };
  },
  editgroup(dialog) {
    return { route: "editgroup", method: "GET", params: { groupid: String(page.gid), ...fields(dialog, ["name", "description", "organization", "area", "visibility", "access"]) } };
  },
  addmember(dialog) {
    return { route: "addmemberauth", method: "GET", params: { groupid: String(page.gid), ...fields(dialog, ["username", "password", "role", "admin_rights"]) } };
  },
  createuser(dialog) {
    return { route: "createuseraddtogroup", method: "POST", params: { groupid: String(page.gid), ...fields(dialog, ["name", "email", "username", "password", "role"]) } };
  },
  edituser(dialog) {
    const params = { groupid: String(page.gid), userid: String(dialog.egUser.userid), ...fields(dialog, ["username", "name", "email", "location", "bio", "timezone", "role", "admin_rights"]) };
    const tags = $("#group-edituser-tags").value.trim();
    if (tags !== "") params.tags = tags;
    const password = $("#group-edituser-password").value;
    if (password !== "") params.password = password; // B-34: empty keeps the password
    return { route: "setuserinfo", method: "POST", params };
  },
  removeuser(dialog) {
    const how = $("input[name=how]:checked", dialog).value;
    return { route: how, method: "GET", params: { groupid: String(page.gid), userid: String(dialog.egUser.userid) } };
  },
  deletegroup() {
    return { route: "delete", method: "GET", params: { groupid: String(page.gid) } };
  },
};

function fields(dialog, names) {
  const out = {};
  for (const name of names) {
    const input = $(`[name="${name}"]`, dialog);
    if (input) out[name] = input.value;
  }
  return out;
}

/** Recomputes the access preview of a dialog from its current fields. */
function updatePreview(dialog) {
  const box = $(".eg-preview", dialog);
  if (!box) return null;
  const request = requests[$("form", dialog).dataset.form](dialog);
  const p = page.preview;
  if (!p) {
    box.replaceChildren(el("p", { class: "muted", text: page.previewError ? t("No access preview: {error}", { error: page.previewError }) : t("No access preview.") }));
    page.lastPreview = null;
    return null;
  }
  let result;
  try {
    const t0 = performance.now();
    result = p.preview(request.route, request.params);
    result.ms = performance.now() - t0;
  } catch (error) {
    box.replaceChildren(el("p", { class: "text-error", text: t("Preview failed: {error}", { error: error.message }) }));
    page.lastPreview = null;
    return null;
  }
  const heading = el("h4", { text: t("What changes in access") });
  renderPreview(box, result, p);
  box.prepend(heading);
  page.lastPreview = result;
  return result;
}

function bindPreview(dialog) {
  for (const input of $$("[data-preview]", dialog)) input.addEventListener("change", () => updatePreview(dialog));
}

async function save(dialog, after) {
  const form = $("form", dialog);
  const request = requests[form.dataset.form](dialog);
  const button = $("button[type=submit]", dialog);
  const error = $(".eg-error", dialog);
  error.textContent = "";
  const preview = $(".eg-preview", dialog) ? updatePreview(dialog) : null;
  button.disabled = true;
  try {
    const body = await api(request.route, { method: request.method, params: request.params });
    page.lastSave = { request, preview, body };
    dialog.close();
    if (body && body.message) notify(body.message);
    await after(body);
  } catch (e) {
    page.lastSave = { request, preview, error: e.message };
    error.textContent = e.message;
  } finally {
    button.disabled = false;
  }
}

function onSubmit(dialog, after, check) {
  $("form", dialog).addEventListener("submit", (e) => {
    e.preventDefault();
    if (check) {
      const problem = check(dialog);
      if (problem) {
        $(".eg-error", dialog).textContent = problem;
        return;
      }
    }
    save(dialog, after);
  });
}

// New group
const createDialog = $("#group-create-modal");
$("#groupcreate").addEventListener("click", (e) => {
  $("form", createDialog).reset();
  openDialog(createDialog, e.currentTarget);
});
onSubmit(createDialog, async (body) => {
  await loadGroups();
  const g = page.groups.find((x) => x.groupid === body.groupid);
  if (g) history.replaceState(null, "", `#${g.name}`);
  await selectGroup(body.groupid);
});

// Edit group: current values from `summary`, so saving keeps what the form does not change (B-34).
const editDialog = $("#group-edit-modal");
$("#groupedit").addEventListener("click", (e) => {
  const s = page.summary;
  for (const k of ["name", "description", "organization", "area", "visibility", "access"]) {
    $(`#group-edit-${k}`).value = s[k] ?? (k === "visibility" ? "private" : k === "access" ? "closed" : "");
  }
  openDialog(editDialog, e.currentTarget);
});
onSubmit(editDialog, async () => {
  await loadGroups();
  const g = page.groups.find((x) => x.groupid === page.gid);
  if (g) history.replaceState(null, "", `#${g.name}`);
  await selectGroup(page.gid);
});

// Delete group
const deleteDialog = $("#group-delete-modal");
$("#deletegroup").addEventListener("click", (e) => {
  $(".eg-target", deleteDialog).textContent = page.summary.name;
  openDialog(deleteDialog, e.currentTarget);
  updatePreview(deleteDialog);
  $("#delete-group-action").focus();
});
onSubmit(deleteDialog, async () => {
  history.replaceState(null, "", location.pathname + location.search);
  await loadGroups();
  await selectGroup(null);
  $("#groupcreate").focus();
});

// Add member
const addDialog = $("#group-addmember-modal");
bindPreview(addDialog);
$("#addmember").addEventListener("click", (e) => {
  $("form", addDialog).reset();
  openDialog(addDialog, e.currentTarget);
  updatePreview(addDialog);
});
onSubmit(addDialog, () => { return selectGroup(page.gid); });

// Create user
const createUserDialog = $("#group-createuseraddtogroup-modal");
bindPreview(createUserDialog);
$("#createuseraddtogroup").addEventListener("click", (e) => {
  $("form", createUserDialog).reset();
  openDialog(createUserDialog, e.currentTarget);
  updatePreview(createUserDialog);
});
onSubmit(createUserDialog, () => { return selectGroup(page.gid); }, () =>
  $("#group-createuseraddtogroup-password").value !== $("#group-createuseraddtogroup-password-confirm").value
    ? t("The passwords do not match") : null);

// Edit user (role, rights, profile, password)
const editUserDialog = $("#group-edituser-modal");
bindPreview(editUserDialog);
function openEditUser(u, opener) {
  editUserDialog.egUser = u;
  $("#group-edituser-title").textContent = t("Edit {username}", { username: u.username });
  for (const k of ["username", "name", "email", "location", "timezone", "bio"]) $(`#group-edituser-${k}`).value = u[k] ?? "";
  $("#group-edituser-tags").value = u.tags && typeof u.tags === "object" ? JSON.stringify(u.tags) : (u.tags ?? "");
  $("#group-edituser-password").value = "";
  $("#group-edituser-role").value = String(u.role);
  $("#group-edituser-rights").value = u.admin_rights === "read" ? "read" : "full";
  openDialog(editUserDialog, opener);
  updatePreview(editUserDialog);
  $("#group-edituser-role").focus();
}
onSubmit(editUserDialog, () => { return selectGroup(page.gid); });

// Remove user
const removeDialog = $("#group-removeuser-modal");
bindPreview(removeDialog);
function openRemoveUser(u, opener) {
  removeDialog.egUser = u;
  $(".eg-target", removeDialog).textContent = u.username;
  $("#removeuser-from-group").checked = true;
  openDialog(removeDialog, opener);
  updatePreview(removeDialog);
}
onSubmit(removeDialog, () => { return selectGroup(page.gid); });

// CSV export of the ticked feeds
const csvDialog = $("#group-csv-modal");
document.addEventListener("change", (e) => { if (e.target.classList?.contains("eg-feed-pick")) updateCsvButton(); });
function localInput(date) {
  const d = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}
$("#group-csv").addEventListener("click", (e) => {
  const ids = $$(".eg-feed-pick:checked").map((c) => c.value);
  $(".eg-target", csvDialog).textContent = t("Feeds {ids}", { ids: ids.join(", ") });
  const now = new Date();
  $("#group-csv-end").value = localInput(now);
  $("#group-csv-start").value = localInput(new Date(now.getTime() - 86400000));
  openDialog(csvDialog, e.currentTarget);
});
$("form", csvDialog).addEventListener("submit", (e) => {
  e.preventDefault();
  const ids = $$(".eg-feed-pick:checked").map((c) => c.value);
  const start = Math.floor(new Date($("#group-csv-start").value).getTime() / 1000);
  const end = Math.floor(new Date($("#group-csv-end").value).getTime() / 1000);
  if (!(start < end)) {
    $(".eg-error", csvDialog).textContent = t("The start must be before the end");
    return;
  }
  const q = new URLSearchParams({
    groupid: page.gid, id: ids.join(","), start, end, interval: $("#group-csv-interval").value,
    timeformat: $("#group-csv-timeformat").value, name: $("#group-csv-name").value,
  });
  page.lastCsv = `${cfg.path}group/csvexport?${q}`;
  window.open(page.lastCsv, "_blank", "noopener");
  csvDialog.close();
});

// Members grouped by a tag; the matrix's viewer and size
$("#group-tag-grouping").addEventListener("change", renderMembers);
$("#group-viewas").addEventListener("change", () => renderViewAs($("#group-matrix-viewas"), page.preview, Number($("#group-viewas").value), page.matrixAll ? page.preview.members : page.preview.members.slice(0, MATRIX_ROWS)));
$("#group-matrix-more").addEventListener("click", () => { page.matrixAll = !page.matrixAll; renderMatrices(); });

// ---- search (group/search.json: the server matches, the page shows the first hits) -------------

const search = $("#group-search");
let searchTimer = null;
let searchSeq = 0;
search.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 200);
});
search.addEventListener("keydown", (e) => {
  if (e.key === "Enter") {
    e.preventDefault();
    clearTimeout(searchTimer);
    runSearch();
  }
});

async function runSearch() {
  const box = $("#group-search-results");
  const term = search.value.trim();
  const seq = ++searchSeq;
  if (!term) {
    box.replaceChildren();
    return;
  }
  let answer;
  try {
    answer = await api("search", { params: { term } });
  } catch (error) {
    if (seq === searchSeq) box.replaceChildren(el("p", { class: "text-error", text: error.message }));
    return;
  }
  if (seq !== searchSeq) return;   // a newer term was typed meanwhile
  const hits = Array.isArray(answer?.hits) ? answer.hits : [];
  box.replaceChildren();
  if (!hits.length) {
    box.append(el("p", { class: "muted", text: t("No member matches.") }));
    return;
  }
  const ul = el("ul", { class: "eg-hits" });
  for (const h of hits) {
    const who = h.name && h.name !== h.username ? `${h.username} (${h.name})` : h.username;
    const a = el("a", { href: `#${h.group}`, text: `${who} — ${h.group}` });
    a.addEventListener("click", async (e) => {
      e.preventDefault();
      history.replaceState(null, "", `#${h.group}`);
      await selectGroup(Number(h.groupid));
      const row = $(`#group-members tr.user-info[data-userid="${h.userid}"]`);
      if (row) {
        row.classList.add("eg-hit");
        row.scrollIntoView({ block: "center" });
      }
    });
    ul.append(el("li", {}, a));
  }
  const more = Number(answer.more) || 0;
  if (more > 0) ul.append(el("li", { class: "muted", text: t("… and {n} more: type more of the name", { n: more }) }));
  box.append(ul);
}

// ---- start --------------------------------------------------------------------------------------

window.addEventListener("hashchange", () => {
  const g = groupFromHash();
  if (g && g.groupid !== page.gid) selectGroup(g.groupid);
});

(async () => {
  setState("loading");
  await loadGroups();
  const g = groupFromHash();
  await selectGroup(g ? g.groupid : null);
})();
