// Renders an access diff (what_if, filtered) person by person: who gains and who loses which
// feeds and actions. Long runs of one action (a new sub-administrator reads 200 feeds) are folded
// into a <details> so the dialog stays readable; every capability stays in the DOM.

import { capKey } from "./engine.js";

/** A capability as words, for a person who is its actor. `p` names people and feeds. */
export function describe(cap, p) {
  const who = cap.user !== undefined ? p.name(cap.user) : "";
  switch (cap.action) {
    case "group.view": return "see the group in their list";
    case "group.summary": return "see the group's details and member count";
    case "group.aggregate": return "see sums over the members' feeds";
    case "group.edit": return "edit the group";
    case "group.delete": return "delete the group";
    case "members.list": return "see the member list";
    case "members.add": return "add members";
    case "members.remove": return `remove ${who} from the group`;
    case "member.feeds": return `list and read ${who}'s feeds`;
    case "member.profile": return `see ${who}'s e-mail, bio and location`;
    case "member.set_role": return `change ${who}'s role`;
    case "member.edit_account": return `edit ${who}'s account`;
    case "member.impersonate": return `log in as ${who}`;
    case "member.delete_account": return `delete ${who}'s account`;
    case "member.send_login": return `send ${who} login details`;
    case "feed.read": return `read feed ${p.feedName(cap.feed)}`;
    default: return cap.action;
  }
}

/** A short name for a run of one action. */
const PLURAL = {
  "members.remove": (n) => `remove ${n} members`,
  "member.feeds": (n) => `read the feeds of ${n} members`,
  "member.profile": (n) => `see the profiles of ${n} members`,
  "member.set_role": (n) => `change the roles of ${n} members`,
  "member.edit_account": (n) => `edit ${n} members' accounts`,
  "member.impersonate": (n) => `log in as ${n} members`,
  "member.delete_account": (n) => `delete ${n} members' accounts`,
  "member.send_login": (n) => `send login details to ${n} members`,
  "feed.read": (n) => `read ${n} feeds`,
};

const FOLD = 4;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

function capList(caps, p, kind) {
  const ul = el("ul", { class: `eg-caps eg-${kind}` });
  const byAction = new Map();
  for (const c of caps) {
    if (!byAction.has(c.action)) byAction.set(c.action, []);
    byAction.get(c.action).push(c);
  }
  for (const [action, list] of byAction) {
    if (list.length > FOLD && PLURAL[action]) {
      const inner = el("ul");
      for (const c of list) inner.append(el("li", { "data-cap": capKey(c), text: describe(c, p) }));
      const details = el("details", {}, el("summary", { text: PLURAL[action](list.length) }), inner);
      ul.append(el("li", { class: "eg-fold" }, details));
    } else {
      for (const c of list) ul.append(el("li", { "data-cap": capKey(c), text: describe(c, p) }));
    }
  }
  return ul;
}

/**
 * Fills `container` with the preview `result` of GroupPreview.preview. Answers the number of
 * people whose access changes.
 */
export function renderPreview(container, result, p) {
  container.replaceChildren();
  container.classList.remove("eg-preview-refused");
  if (!result) return 0;
  if (result.unsupported) {
    container.append(el("p", { class: "muted", text: "No access preview for this change." }));
    return 0;
  }
  if (result.refused) {
    container.classList.add("eg-preview-refused");
    container.append(el("p", { class: "eg-refused" },
      el("strong", { text: "The server will refuse this: " }), document.createTextNode(result.refused)));
    return 0;
  }
  for (const note of result.notes || []) container.append(el("p", { class: "eg-note", text: note }));
  if (!result.diff.length) {
    container.append(el("p", { class: "eg-nochange", text: "Nobody's access changes." }));
    return 0;
  }
  const list = el("ul", { class: "eg-diff" });
  for (const d of result.diff) {
    const u = p.users.get(d.user);
    const li = el("li", {
      class: "eg-person",
      "data-user": d.user,
      "data-gains": d.gains.map(capKey).join(" "),
      "data-loses": d.loses.map(capKey).join(" "),
    });
    const head = el("div", { class: "eg-person-name" }, el("strong", { text: p.name(d.user) }));
    if (u && u.name) head.append(document.createTextNode(` (${u.name})`));
    li.append(head);
    if (d.gains.length) li.append(el("div", { class: "eg-gain-block" }, el("span", { class: "eg-label eg-label-gain", text: `gains ${d.gains.length}` }), capList(d.gains, p, "gains")));
    if (d.loses.length) li.append(el("div", { class: "eg-lose-block" }, el("span", { class: "eg-label eg-label-lose", text: `loses ${d.loses.length}` }), capList(d.loses, p, "loses")));
    list.append(li);
  }
  const n = result.diff.length;
  container.append(el("p", { class: "eg-summary", text: `${n} ${n === 1 ? "person's" : "people's"} access changes:` }), list);
  return n;
}

export { el };
