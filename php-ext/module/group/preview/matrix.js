// The "view as" matrix: members × capabilities, each cell one `check` on the snapshot engine.
// Cells are a keyboard grid (one Tab stop, arrow keys, Home/End) and show the reason code and
// its sentence on hover and on focus (aria-describedby points at the same text).

import { explain } from "./reasons.js";
import { el } from "./diff-view.js";

/** What one member may do to another member of the group (and to their feeds). */
export const MEMBER_ACTIONS = [
  ["member.feeds", "Feeds"],
  ["member.profile", "Profile"],
  ["member.set_role", "Set role"],
  ["members.remove", "Remove"],
  ["member.edit_account", "Edit account"],
  ["member.impersonate", "Log in as"],
  ["member.delete_account", "Delete account"],
  ["member.send_login", "Send login"],
  ["feed.read", "Read feeds"],
];

/** What a member may do to the group itself. */
export const GROUP_ACTIONS = [
  ["group.view", "See group"],
  ["group.summary", "Details"],
  ["group.aggregate", "Aggregates"],
  ["members.list", "Member list"],
  ["members.add", "Add members"],
  ["group.edit", "Edit group"],
  ["group.delete", "Delete group"],
];

let tipSeq = 0;

function cell(decision, text, label) {
  const id = `eg-tip-${++tipSeq}`;
  const allowed = decision.allowed;
  const td = el("td", {
    role: "gridcell",
    tabindex: -1,
    class: `eg-cell ${allowed ? "eg-yes" : "eg-no"}`,
    "aria-describedby": id,
    "data-reason": decision.reason,
    "data-allowed": allowed ? "true" : "false",
  });
  td.append(
    el("span", { "aria-hidden": "true", class: "eg-mark", text: text ?? (allowed ? "✔" : "✘") }),
    el("span", { class: "eg-sr", text: `${label}: ${allowed ? "allowed" : "not allowed"}` }),
    el("span", { class: "eg-tip", id, role: "tooltip", text: `${decision.reason}: ${explain(decision.reason)}` }),
  );
  return td;
}

function feedCell(p, viewer, target, label) {
  const feeds = p.feedsOf.get(target) || [];
  if (!feeds.length) {
    return cell({ allowed: false, reason: "no_feeds" }, "–", label);
  }
  let ok = 0;
  let first = null;
  let firstDenied = null;
  for (const fid of feeds) {
    const d = p.check(viewer, "feed.read", { feed: fid });
    if (d.allowed) ok++;
    else if (!firstDenied) firstDenied = d;
    if (!first) first = d;
  }
  const d = firstDenied || first;
  const td = cell({ allowed: ok === feeds.length, reason: d.reason }, `${ok}/${feeds.length}`, label);
  if (ok > 0 && ok < feeds.length) td.classList.add("eg-some");
  return td;
}

function header(columns, first) {
  const tr = el("tr", {}, el("th", { scope: "col", text: first }));
  for (const [action, label] of columns) tr.append(el("th", { scope: "col", title: action, text: label }));
  return el("thead", {}, tr);
}

function personHeader(p, uid) {
  const m = p.roles.get(uid);
  const th = el("th", { scope: "row", role: "rowheader" }, el("span", { class: "eg-who", text: p.name(uid) }));
  if (m) th.append(el("small", { class: "muted", text: ` ${roleName(m.role)}${m.admin_rights === "read" ? ", read rights" : ""}` }));
  return th;
}

export const ROLE_NAMES = ["Passive member", "Administrator", "Sub-administrator", "Member", "Observer"];

export function roleName(role) {
  return ROLE_NAMES[role] ?? `Invalid role (${role})`;
}

/** Makes `table` a grid with one Tab stop and arrow-key movement between its cells. */
export function makeGrid(table) {
  table.setAttribute("role", "grid");
  const cells = () => [...table.querySelectorAll("[role=gridcell]")];
  const first = table.querySelector("[role=gridcell]");
  if (first) first.tabIndex = 0;
  table.addEventListener("focusin", (e) => {
    const td = e.target.closest("[role=gridcell]");
    if (!td) return;
    for (const c of table.querySelectorAll('[role=gridcell][tabindex="0"]')) if (c !== td) c.tabIndex = -1;
    td.tabIndex = 0;
  });
  table.addEventListener("keydown", (e) => {
    const td = e.target.closest("[role=gridcell]");
    if (!td) return;
    const tr = td.parentElement;
    const rowCells = [...tr.querySelectorAll("[role=gridcell]")];
    const col = rowCells.indexOf(td);
    let next = null;
    if (e.key === "ArrowRight") next = rowCells[col + 1];
    else if (e.key === "ArrowLeft") next = rowCells[col - 1];
    else if (e.key === "Home") next = e.ctrlKey ? cells()[0] : rowCells[0];
    else if (e.key === "End") next = e.ctrlKey ? cells().at(-1) : rowCells.at(-1);
    else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      let row = e.key === "ArrowDown" ? tr.nextElementSibling : tr.previousElementSibling;
      while (row && !row.querySelector("[role=gridcell]")) row = e.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
      if (row) next = row.querySelectorAll("[role=gridcell]")[col];
    }
    if (next) {
      e.preventDefault();
      next.focus();
    }
  });
}

/** Rows: members as actors; columns: what they may do to the group. */
export function renderGroupMatrix(table, p, members) {
  table.replaceChildren(header(GROUP_ACTIONS, "Member"));
  const body = el("tbody");
  for (const uid of members) {
    const tr = el("tr", { "data-user": uid }, personHeader(p, uid));
    for (const [action, label] of GROUP_ACTIONS) {
      tr.append(cell(p.check(uid, action, { group: p.gid }), null, `${p.name(uid)}, ${label}`));
    }
    body.append(tr);
  }
  table.append(body);
  makeGrid(table);
}

/** Rows: members as targets; columns: what `viewer` may do to each of them. */
export function renderViewAs(table, p, viewer, members) {
  table.replaceChildren(header(MEMBER_ACTIONS, "Member"));
  const body = el("tbody");
  for (const uid of members) {
    const tr = el("tr", { "data-user": uid }, personHeader(p, uid));
    for (const [action, label] of MEMBER_ACTIONS) {
      const cellLabel = `${p.name(uid)}, ${label}`;
      if (action === "feed.read") tr.append(feedCell(p, viewer, uid, cellLabel));
      else tr.append(cell(p.check(viewer, action, { group: p.gid, user: uid }), null, cellLabel));
    }
    body.append(tr);
  }
  table.append(body);
  makeGrid(table);
}
