// The chat page: the webmls bundle (library + DeliveryClient) in the
// browser, state in IndexedDB, the session (client id, token, name) in
// localStorage. Messages arrive over the inbox WebSocket.
// (A computed specifier: the bundle exists only on the server, so type
// checkers of this repository must not try to resolve it.)
const bundle = "/static/webmls.mjs";
const { DeliveryClient, IndexedDbStorage, MLS } = await import(bundle);

const $ = (id) => document.getElementById(id);
const SESSION = "webmls-chat-session";

const mls = new MLS({ storage: new IndexedDbStorage("webmls-chat") });
let client;
let current; // selected group id
const groups = new Map(); // group id -> { messages: [], status }

function show(err) {
  $("error").textContent = err ? String(err.message ?? err) : "";
  if (err) console.error(err);
}

function nameOf(member) {
  return member?.credential?.name ?? member?.clientId?.slice(0, 8) ?? "?";
}

function entry(gid) {
  if (!groups.has(gid)) groups.set(gid, { messages: [], status: "" });
  return groups.get(gid);
}

function log(gid, text, cls) {
  entry(gid).messages.push({ text, cls });
  if (gid === current) renderMessages();
}

function renderGroups() {
  const ul = $("groups");
  ul.replaceChildren();
  for (const gid of groups.keys()) {
    const li = document.createElement("li");
    li.textContent = gid.slice(0, 12);
    li.dataset.groupId = gid;
    if (gid === current) li.className = "selected";
    li.onclick = () => select(gid);
    ul.append(li);
  }
}

function renderMessages() {
  const ul = $("messages");
  ul.replaceChildren();
  for (const m of entry(current).messages) {
    const li = document.createElement("li");
    li.textContent = m.text;
    if (m.cls) li.className = m.cls;
    ul.append(li);
  }
  ul.scrollTop = ul.scrollHeight;
}

async function renderGroup() {
  renderGroups();
  if (!current) return;
  $("title").textContent = `Group ${current.slice(0, 12)}`;
  $("title").dataset.groupId = current;
  const g = await client.group(current);
  const status = entry(current).status ||
    (g ? `epoch ${g.epoch}` : "not a member");
  $("status").textContent = status;
  const ul = $("members");
  ul.replaceChildren();
  for (const m of g && g.status === "active" ? g.members : []) {
    const li = document.createElement("li");
    li.textContent = `${nameOf(m)} (${m.clientId.slice(0, 8)}…)`;
    li.dataset.clientId = m.clientId;
    ul.append(li);
  }
  renderMessages();
}

function select(gid) {
  current = gid;
  renderGroup().catch(show);
}

function onEvent(e) {
  if (e.type === "joined") {
    log(e.groupId, "you joined the group", "system");
    if (!current) current = e.groupId;
  } else if (e.type === "received") {
    const r = e.received;
    if (r.type === "application") {
      log(e.groupId, `${nameOf(r.sender)}: ${r.text()}`);
    } else if (r.type === "commit") {
      for (const m of r.added) log(e.groupId, `${nameOf(m)} joined`, "system");
      for (const m of r.removed) log(e.groupId, `${nameOf(m)} left`, "system");
    } else if (r.type === "removed") {
      entry(e.groupId).status = "removed from the group";
      log(e.groupId, "you were removed", "system");
    }
  } else if (e.type === "error") {
    console.warn("skipped a message", e.error);
  }
  renderGroup().catch(show);
}

async function start(session) {
  const credential = await mls.generateCredential(session.name);
  client = DeliveryClient.connect({
    url: location.origin,
    mls,
    identity: session.clientId,
    credential,
    token: session.token,
    onEvent,
  });
  $("me").textContent = session.clientId;
  $("me-name").textContent = session.name;
  for (const gid of (await client.http.me()).groups) entry(gid);
  current = groups.keys().next().value;
  $("register").hidden = true;
  $("app").hidden = false;
  client.listen();
  await renderGroup();
  document.body.dataset.ready = "true";
}

function act(form, f) {
  $(form).onsubmit = (ev) => {
    ev.preventDefault();
    show();
    f().then(() => renderGroup()).catch(show);
  };
}

act("register-form", async () => {
  const name = $("name").value.trim();
  const c = await DeliveryClient.register(location.origin, mls, { name });
  const session = { clientId: c.clientId, token: c.token, name };
  localStorage.setItem(SESSION, JSON.stringify(session));
  await start(session);
});

$("create").onclick = () => {
  show();
  client.createGroup({ externalJoins: true }).then((g) => {
    entry(g.groupId);
    log(g.groupId, "you created the group", "system");
    select(g.groupId);
  }).catch(show);
};

act("add-form", async () => {
  const id = $("add-id").value.trim();
  if (!current || !id) return;
  await client.add(current, [id]);
  $("add-id").value = "";
});

act("remove-form", async () => {
  const id = $("remove-id").value.trim();
  if (!current || !id) return;
  await client.remove(current, [id]);
  $("remove-id").value = "";
});

act("send-form", async () => {
  const text = $("text").value;
  if (!current || !text) return;
  await client.send(current, text);
  $("text").value = "";
  log(current, `me: ${text}`, "mine");
});

const saved = localStorage.getItem(SESSION);
if (saved) start(JSON.parse(saved)).catch(show);
else $("register").hidden = false;
