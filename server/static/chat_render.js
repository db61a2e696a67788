// Rendering of the chat page from its state (see chat.js): the group list,
// the conversation, the members. No state changes here.
import { $, el, timeEl } from "./chat_dom.js";

const STATE_WORDS = {
  sending: "sending…",
  delivered: "delivered",
  failed: "not sent",
  unconfirmed: "not confirmed",
};

/** The group list, with unread counts and removed groups marked. */
export function renderGroups(app) {
  const ul = $("groups");
  ul.replaceChildren();
  for (const [gid, g] of app.groups) {
    const b = el("button", "", el("span", "gname", app.groupName(gid)));
    b.type = "button";
    b.dataset.groupId = gid;
    if (gid === app.current) b.setAttribute("aria-current", "true");
    let label = app.groupName(gid);
    if (app.isRemoved(gid)) {
      b.append(el("span", "tag", "removed"));
      label += ", you were removed";
    }
    if (g.meta.unread > 0 && gid !== app.current) {
      const n = el("span", "badge", String(g.meta.unread));
      n.setAttribute("aria-hidden", "true");
      b.append(n);
      label += `, ${g.meta.unread} unread`;
    }
    b.setAttribute("aria-label", label);
    b.onclick = () => app.select(gid);
    const li = el("li", app.isRemoved(gid) ? "removed" : "", b);
    ul.append(li);
  }
  $("no-groups").hidden = app.groups.size > 0;
}

/** A system line's text: `{{clientId}}` tokens become current names. */
function systemText(app, text) {
  const t = text.replace(
    /\{\{([0-9a-f]+)\}\}/g,
    (_, id) => id === app.me ? "you" : app.nameOf(id),
  );
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** One message line. */
function messageEl(app, m) {
  if (m.kind === "system") {
    return el("li", "msg system", systemText(app, m.text), " · ", timeEl(m.at));
  }
  const mine = m.from === app.me;
  const li = el("li", `msg ${mine ? "mine" : "theirs"} ${m.state}`);
  li.dataset.state = m.state;
  if (!mine) li.append(el("span", "who", app.nameOf(m.from)));
  li.append(el("p", "body", m.text));
  const meta = el("span", "meta", timeEl(m.at));
  if (mine) meta.append(" · ", el("span", "state", STATE_WORDS[m.state]));
  li.append(meta);
  return li;
}

/** The conversation of the selected group. */
export async function renderChat(app) {
  const gid = app.current;
  const g = gid ? app.groups.get(gid) : undefined;
  const view = g?.view;
  const active = Boolean(view && view.status === "active") &&
    !app.isRemoved(gid);
  $("title").textContent = g ? app.groupName(gid) : "No group selected";
  if (gid) $("title").dataset.groupId = gid;
  else delete $("title").dataset.groupId;
  $("status").textContent = !g
    ? "Create a group, or wait to be added."
    : active
    ? `${view.members.length} member${
      view.members.length === 1 ? "" : "s"
    } · epoch ${view.epoch}`
    : "You are no longer a member.";

  $("safety").hidden = !active;
  if (active) {
    $("safety-epoch").textContent = String(view.epoch);
    $("safety-number").textContent = await view.safetyNumber();
  }
  $("rename-box").hidden = !active;
  if (active && document.activeElement !== $("rename-input")) {
    $("rename-input").value = app.groupName(gid);
  }

  const removed = g ? app.isRemoved(gid) : false;
  $("removed-banner").hidden = !removed;
  if (removed) {
    const r = g.meta.removed;
    $("removed-banner").replaceChildren(
      r?.by
        ? `${app.nameOf(r.by)} removed you from this group`
        : "You were removed from this group",
      r ? " (" : "",
      r ? timeEl(r.at) : "",
      r ? ")" : "",
      ". You can read the history, but not send or change members.",
    );
  }
  document.body.dataset.removed = String(removed);

  for (const id of ["text", "send", "add-name", "add"]) {
    $(id).disabled = !active;
  }

  const ul = $("messages");
  const stick = ul.scrollTop + ul.clientHeight >= ul.scrollHeight - 40;
  ul.replaceChildren();
  for (const m of g ? await app.history.messages(gid) : []) {
    ul.append(messageEl(app, m));
  }
  if (stick) ul.scrollTop = ul.scrollHeight;
  renderMembers(app, active ? view : null);
}

/** The member list: names, fingerprints, a remove button each. */
function renderMembers(app, view) {
  const ul = $("members");
  ul.replaceChildren();
  for (const m of view ? view.members : []) {
    const self = m.clientId === app.me;
    const name = self
      ? `${app.nameOf(m.clientId)} (you)`
      : app.nameOf(m.clientId);
    const fp = el("code", "fp muted", app.fingerprint(m.clientId));
    fp.title = `client id ${m.clientId}`;
    const who = el("span", "who", el("span", "mname", name), fp);
    const li = el("li", "", who);
    li.dataset.clientId = m.clientId;
    if (!self) {
      const b = el("button", "small ghost", "Remove");
      b.type = "button";
      b.setAttribute("aria-label", `Remove ${app.nameOf(m.clientId)}`);
      b.onclick = () => app.removeMember(m.clientId, b);
      li.append(b);
    }
    ul.append(li);
  }
  if (!view) {
    ul.append(el("li", "muted small-text", "Nobody to show."));
  }
}
