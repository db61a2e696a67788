// One member of the mixed-runtime group (tests/runtimes/mixed.ts), in plain
// JavaScript so that every runtime runs the same code: a command handler
// over a `DeliveryClient` per cipher suite. `lib` holds `MLS` and
// `DeliveryClient` (mod.ts and delivery.ts, the npm package's two entry
// points, or the combined bundle). `pullLoop` fetches commands from the
// coordinator and posts the replies (Node, Bun, browsers); workerd is called
// per command instead (mixed_worker.mjs).

function hex(b) {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** A command handler for the member running on `runtime`. */
export function createAgent(lib, runtime) {
  const members = new Map(); // suite → { client, texts, errors }
  const member = (suite) => {
    const m = members.get(suite);
    if (!m) throw new Error(`${runtime}: no client for suite ${suite}`);
    return m;
  };
  return async function handle(cmd) {
    switch (cmd.op) {
      case "register": {
        const texts = [];
        const errors = [];
        const client = await lib.DeliveryClient.register(
          cmd.url,
          new lib.MLS({ cipherSuite: cmd.suite }),
          {
            name: `${runtime}, suite ${cmd.suite}`,
            onEvent: (e) => {
              if (e.type === "received" && e.received.type === "application") {
                texts.push(e.received.text());
              } else if (e.type === "error" || e.type === "needs_rejoin") {
                errors.push(`${e.type}: ${e.error ?? ""}`);
              }
            },
          },
        );
        members.set(cmd.suite, { client, texts, errors });
        return { clientId: client.clientId };
      }
      case "create": {
        const g = await member(cmd.suite).client.createGroup();
        return { groupId: g.groupId };
      }
      case "add":
        await member(cmd.suite).client.add(cmd.groupId, cmd.clientIds);
        return {};
      case "remove":
        await member(cmd.suite).client.remove(cmd.groupId, cmd.clientIds);
        return {};
      case "update":
        await member(cmd.suite).client.update(cmd.groupId);
        return {};
      case "send":
        await member(cmd.suite).client.send(cmd.groupId, cmd.text);
        return {};
      case "sync":
        return { processed: await member(cmd.suite).client.sync() };
      case "state": {
        const m = member(cmd.suite);
        const g = await m.client.group(cmd.groupId);
        if (!g) return { status: "none", texts: m.texts, errors: m.errors };
        return {
          status: g.status,
          epoch: String(g.epoch),
          members: g.members.length,
          texts: m.texts,
          errors: m.errors,
          exporter: g.status === "active"
            ? hex(await g.exportSecret("mixed runtimes", "group", 32))
            : undefined,
        };
      }
    }
    throw new Error(`unknown command ${cmd.op}`);
  };
}

/**
 * Serves `handle` to the coordinator at `control` (an URL ending in `/`)
 * under the agent name `name`, until it says `exit`.
 */
export async function pullLoop(handle, control, name) {
  const at = (path) => `${control}${path}?agent=${encodeURIComponent(name)}`;
  for (;;) {
    const cmd = await (await fetch(at("next"))).json();
    if (cmd.op === "exit") return;
    let reply;
    try {
      reply = { ok: true, value: await handle(cmd) };
    } catch (e) {
      reply = { ok: false, error: `${e?.name}: ${e?.message}\n${e?.stack}` };
    }
    await (await fetch(at("reply"), {
      method: "POST",
      body: JSON.stringify(reply),
    })).body?.cancel();
  }
}
