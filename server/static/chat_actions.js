// The chat page's actions: the forms (register, create, rename, add,
// send), the remove buttons and the copy button. Each runs on its own and
// shows its errors next to its control (chat_errors.js). The page's state
// and helpers come in as `ctx` from chat.js.
import { $, copy } from "./chat_dom.js";
import { showError, userError } from "./chat_errors.js";

/** Binds the page's controls to their actions. */
export function bindActions(ctx) {
  const {
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
  } = ctx;

  /**
   * Runs a form's action; its errors go next to it. Its button is disabled
   * meanwhile, except the send button: messages do not wait for each other.
   */
  function onSubmit(form, errorBox, input, f) {
    $(form).onsubmit = (ev) => {
      ev.preventDefault();
      showError($(errorBox), undefined, $(input));
      const button = $(form).querySelector("button");
      button.disabled = form !== "send-form";
      f().then(() => render()).catch((e) => showError($(errorBox), e, $(input)))
        .finally(() => {
          button.disabled = false;
          if (app.current && app.isRemoved(app.current)) render();
        });
    };
  }

  // An error goes once its input is edited.
  for (
    const [input, box] of [
      ["name", "name-error"],
      ["group-name", "create-error"],
      ["rename-input", "rename-error"],
      ["add-name", "add-error"],
      ["text", "send-error"],
    ]
  ) {
    $(input).addEventListener(
      "input",
      () => showError($(box), undefined, $(input)),
    );
  }

  onSubmit("register-form", "name-error", "name", async () => {
    const check = W.checkName($("name").value);
    if (!check.ok) {
      throw userError(`That name cannot be used: ${check.reason}.`);
    }
    let session = savedSession();
    if (!session) {
      const c = await W.DeliveryClient.register(location.origin, mls, {
        name: check.display,
        capabilities: CAPABILITIES,
      });
      session = {
        clientId: c.clientId,
        token: c.token,
        credentialName: check.display,
      };
      localStorage.setItem(SESSION, JSON.stringify(session));
    }
    const http = new W.DeliveryHttp(location.origin, session.token);
    await http.setName(check.display);
    await start(session);
  });

  onSubmit("create-form", "create-error", "group-name", async () => {
    const name = $("group-name").value.trim();
    if (!name) throw userError("Give the group a name.");
    const g = await app.client.createGroup({
      extensions: nameExtensions(null, name),
    });
    await app.history.touch(g.groupId);
    await app.history.setName(g.groupId, name);
    await system(g.groupId, `You created “${name}”`);
    $("group-name").value = "";
    await select(g.groupId);
  });

  onSubmit("rename-form", "rename-error", "rename-input", async () => {
    const gid = app.current;
    const name = $("rename-input").value.trim();
    if (!name) throw userError("Give the group a name.");
    if (name === app.groupName(gid)) return;
    await app.client.commit(
      gid,
      (v) => v.setExtensions(nameExtensions(v, name)),
    );
    $("rename-box").open = false;
    await refresh(gid);
  });

  onSubmit("add-form", "add-error", "add-name", async () => {
    const gid = app.current;
    const check = W.checkName($("add-name").value);
    if (!check.ok) throw userError(`No such name: ${check.reason}.`);
    const found = await app.client.http.clientByName(check.display);
    if (!found) throw userError(`Nobody is called “${check.display}”.`);
    if (found.clientId === app.me) throw userError("That is you.");
    const view = await app.client.group(gid);
    if (view?.members.some((m) => m.clientId === found.clientId)) {
      throw userError(`${found.name} is already in this group.`);
    }
    app.contacts[found.clientId] = found.name;
    await app.history.saveContacts({ [found.clientId]: found.name });
    updateContactList();
    await app.client.add(gid, [found.clientId]);
    $("add-name").value = "";
    await refresh(gid);
  });

  async function removeMember(clientId, button) {
    const gid = app.current;
    showError($("remove-error"));
    button.disabled = true;
    try {
      await app.client.remove(gid, [clientId]);
      await refresh(gid);
      await render();
    } catch (e) {
      showError($("remove-error"), e);
      button.disabled = false;
    }
  }

  onSubmit("send-form", "send-error", "text", async () => {
    const gid = app.current;
    const text = $("text").value;
    if (!text.trim()) return;
    const at = Date.now();
    const id = crypto.randomUUID();
    await app.history.add(gid, {
      id,
      kind: "text",
      from: app.me,
      text,
      at,
      state: "sending",
    });
    $("text").value = "";
    await render();
    try {
      await app.client.send(gid, W.sealEnvelope(text, at));
      await app.history.setState(gid, id, "delivered");
    } catch (e) {
      await app.history.setState(gid, id, "failed");
      $("text").value = text;
      throw e;
    }
  });

  $("me-copy").onclick = async () => {
    const ok = await copy(app.me);
    $("me-copied").textContent = ok
      ? "Copied"
      : `Copy failed; your id is ${app.me}`;
    setTimeout(() => $("me-copied").textContent = "", 4000);
  };

  return { removeMember };
}
