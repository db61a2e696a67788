// The chat page: the webmls bundle (library, DeliveryClient, the page's
// history store) in the browser. MLS state and message history live in
// IndexedDB through EncryptedStorage under a non-extractable app key; the
// session (client id, token) in localStorage. Messages arrive over the
// inbox WebSocket. Actions: chat_actions.js; rendering: chat_render.js;
// errors: chat_errors.js.
import { bindActions } from "./chat_actions.js";
import { $ } from "./chat_dom.js";
import { showError, userError } from "./chat_errors.js";
import { renderChat, renderGroups } from "./chat_render.js";

// A computed specifier: the bundle exists only on the server, so type
// checkers of this repository must not try to resolve it.
const bundle = "/static/webmls.mjs";
const W = await import(bundle);

/** The group name: an application group context extension (private use). */
const GROUP_NAME = 0xff00;
/** Every client of this page can show it (RFC 9420 §13.4). */
const CAPABILITIES = { extensions: [GROUP_NAME] };
const SESSION = "webmls-chat-session-v2";
const utf8 = new TextEncoder();

const storage = await W.EncryptedStorage.open(
  new W.IndexedDbStorage("webmls-chat-v2"),
  { key: await W.openAppKey({ database: "webmls-chat-key" }) },
);
const mls = new W.MLS({ storage });

/** The page's state; render functions read it. */
const app = {
  me: "",
  client: undefined,
  history: undefined,
  current: undefined,
  /** group id -> { meta, view } */
  groups: new Map(),
  contacts: {},
  fingerprint: W.fingerprint,
  nameOf(clientId) {
    return this.contacts[clientId] ?? `unnamed ${W.fingerprint(clientId)}`;
  },
  groupName(gid) {
    return this.groups.get(gid)?.meta.name || "Unnamed group";
  },
  isRemoved(gid) {
    const g = this.groups.get(gid);
    return Boolean(g?.meta.removed) ||
      Boolean(g && (!g.view || g.view.status !== "active"));
  },
  select(gid) {
    select(gid).catch((e) => console.error(e));
  },
  removeMember(clientId, button) {
    actions.removeMember(clientId, button);
  },
};

function nameIn(view) {
  const e = view?.details().extensions.application?.find((x) =>
    x.extensionType === GROUP_NAME
  );
  return e ? new TextDecoder().decode(e.extensionData) : undefined;
}

function nameExtensions(view, name) {
  const current = view ? view.details().extensions : {};
  return {
    ...current,
    application: [
      ...(current.application ?? []).filter((x) =>
        x.extensionType !== GROUP_NAME
      ),
      { extensionType: GROUP_NAME, extensionData: utf8.encode(name) },
    ],
  };
}

// Display names of members: from the directory, remembered locally.
const asked = new Set();
function learnNames(ids) {
  const missing = ids.filter((id) =>
    app.contacts[id] === undefined && !asked.has(id)
  );
  for (const id of missing) {
    asked.add(id);
    app.client.http.nameOf(id).then(async (n) => {
      if (!n) return;
      app.contacts[id] = n.name;
      await app.history.saveContacts({ [id]: n.name });
      updateContactList();
      await render();
    }).catch(() => asked.delete(id));
  }
}

function updateContactList() {
  const list = $("contacts");
  list.replaceChildren();
  for (const [id, name] of Object.entries(app.contacts)) {
    if (id === app.me) continue;
    const o = document.createElement("option");
    o.value = name;
    list.append(o);
  }
}

/** Reloads a group's view and meta (and remembers its name). */
async function refresh(gid) {
  const view = await app.client.group(gid);
  let meta = await app.history.meta(gid);
  const name = nameIn(view);
  if (name !== undefined && name !== meta.name) {
    await app.history.setName(gid, name);
    meta = await app.history.meta(gid);
  }
  app.groups.set(gid, { view, meta });
  if (view) learnNames(view.members.map((m) => m.clientId));
}

let rendering = Promise.resolve();
function render() {
  rendering = rendering.then(async () => {
    renderGroups(app);
    await renderChat(app);
  }).catch((e) => console.error(e));
  return rendering;
}

async function select(gid) {
  app.current = gid;
  if (gid) {
    await app.history.markRead(gid);
    await refresh(gid);
  }
  await render();
}

function unread(gid) {
  return gid !== app.current || document.hidden;
}

async function system(gid, text) {
  await app.history.add(gid, {
    kind: "system",
    from: "",
    text,
    at: Date.now(),
    state: "received",
  });
}

/** A name token of a system line: shown with the name known when drawn. */
function who(clientId) {
  return `{{${clientId}}}`;
}

function senderToken(sender) {
  return sender?.kind === "member" ? who(sender.member.clientId) : "Someone";
}

async function onEvent(e) {
  const gid = e.groupId;
  if (e.type === "joined") {
    await app.history.touch(gid);
    await app.history.markRemoved(gid, undefined);
    await system(gid, "You were added to this group");
    if (!app.current) app.current = gid;
  } else if (e.type === "received") {
    const r = e.received;
    if (r.type === "application") {
      const from = r.sender.clientId;
      const m = W.openEnvelope(r.text(), Date.now());
      await app.history.add(gid, {
        kind: "text",
        from,
        text: m.text,
        at: m.at,
        state: "received",
      }, { unread: unread(gid) });
      learnNames([from]);
      // Screen readers hear new messages (the list is redrawn, not live).
      $("announce").textContent = gid === app.current
        ? `${app.nameOf(from)}: ${m.text}`
        : `New message in ${app.groupName(gid)}`;
    } else if (r.type === "commit") {
      const by = senderToken(r.sender);
      for (const m of r.added) {
        await system(gid, `${by} added ${who(m.clientId)}`);
        learnNames([m.clientId]);
      }
      for (const m of r.removed) {
        await system(gid, `${by} removed ${who(m.clientId)}`);
      }
      const before = (await app.history.meta(gid)).name;
      const after = nameIn(e.group);
      if (after !== undefined && before !== undefined && after !== before) {
        await system(gid, `${by} renamed the group to “${after}”`);
      }
    } else if (r.type === "removed") {
      await app.history.markRemoved(gid, {
        by: r.sender.kind === "member" ? r.sender.member.clientId : "",
        at: Date.now(),
        epoch: String(r.epoch),
      });
      await system(gid, `${senderToken(r.sender)} removed you from this group`);
    }
  } else if (e.type === "needs_rejoin") {
    await system(
      gid,
      "This browser could not follow a change to the group; ask a member to add you again",
    );
  } else if (e.type === "error") {
    console.warn("skipped a message", e.error);
    return;
  }
  if (gid === app.current && !document.hidden) {
    await app.history.markRead(gid);
  }
  await refresh(gid);
  await render();
}

// Events are handled one at a time, in order.
let events = Promise.resolve();
function queueEvent(e) {
  events = events.then(() => onEvent(e)).catch((err) => console.error(err));
}

function showMe() {
  $("me-name").textContent = app.contacts[app.me] ?? "";
  $("me-fp").textContent = W.fingerprint(app.me);
  $("me-fp").title = app.me;
  $("me-box").hidden = false;
}

async function start(session) {
  const credential = await mls.generateCredential(session.credentialName);
  app.me = session.clientId;
  app.client = W.DeliveryClient.connect({
    url: location.origin,
    mls,
    identity: session.clientId,
    credential,
    token: session.token,
    capabilities: CAPABILITIES,
    onEvent: queueEvent,
  });
  app.history = new W.ChatHistory(storage, session.clientId);
  app.contacts = await app.history.contacts();
  const named = await app.client.http.nameOf(app.me);
  if (!named) {
    // Registered, but the name was refused: choose another first.
    $("register-button").textContent = "Save name";
    $("register").hidden = false;
    return false;
  }
  app.contacts[app.me] = named.name;
  await app.history.saveContacts({ [app.me]: named.name });
  showMe();
  for (const { groupId } of await app.history.groups()) {
    await app.history.settleSending(groupId);
    await refresh(groupId);
  }
  for (const gid of (await app.client.http.me()).groups) {
    if (!app.groups.has(gid)) {
      await app.history.touch(gid);
      await refresh(gid);
    }
  }
  updateContactList();
  app.current = [...app.groups.keys()].find((g) => !app.isRemoved(g)) ??
    app.groups.keys().next().value;
  if (app.current) await app.history.markRead(app.current);
  $("register").hidden = true;
  $("app").hidden = false;
  app.client.listen();
  await select(app.current);
  document.body.dataset.ready = "true";
  return true;
}

function savedSession() {
  try {
    return JSON.parse(localStorage.getItem(SESSION) ?? "null");
  } catch {
    return null;
  }
}

const actions = bindActions({
  app,
  W,
  mls,
  CAPABILITIES,
  SESSION,
  savedSession,
  start,
  render,
  refresh,
  select,
  system,
  nameExtensions,
  updateContactList,
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && app.current) select(app.current);
});

const saved = savedSession();
if (
  !saved || !(await start(saved).catch((e) => {
    if (e?.code === "unauthorized") {
      // The service forgot this client (e.g. it ran in memory): start over.
      localStorage.removeItem(SESSION);
      e = userError("The server no longer knows this browser. Register again.");
    }
    showError($("name-error"), e);
    return false;
  }))
) {
  $("register").hidden = false;
  $("name").focus();
}
