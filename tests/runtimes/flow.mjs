// The explainer flow for `deno task test:runtimes` (tests/runtimes/runtimes.ts),
// in plain JavaScript so that every runtime runs the same file against the
// module it was given (`mod`: mod.ts on Deno, the npm package on Node and
// Bun, the bundle in workerd and the browsers). For each cipher suite:
// three members, two adds, messages both ways, an update commit, a
// removal, exporter equality; with `options.storage`/`options.reopen`, a
// second MLS over the same storage carries on (persistence).

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function hex(b) {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

async function readsText(group, bytes, text, who) {
  const r = await group.receive(bytes);
  check(r.type === "application" && r.text() === text, `${who} reads`);
}

/**
 * One suite's flow. Returns the exported secret (hex) and, when
 * `options.reopen` is given, checks that the stored state carries on.
 */
async function suiteFlow(mod, suite, options) {
  const storage = options.storage ? await options.storage(suite) : undefined;
  const mls = new mod.MLS({ cipherSuite: suite, storage });
  const [alice, bob, charlie] = [
    await mls.generateIdentity(),
    await mls.generateIdentity(),
    await mls.generateIdentity(),
  ];
  const cred = (name) => mls.generateCredential(name);
  const group = await mls.groupCreate(alice, await cred("alice"));
  check(group.cipherSuite === suite, "the group's suite");

  const addBob = await group.add(
    await mls.generateKeyPackage(bob, await cred("bob")),
  );
  await group.receive(addBob.commit);
  const bobGroup = await mls.groupJoin(bob, addBob.welcome);
  await readsText(bobGroup, await group.send("hello bob"), "hello bob", "bob");
  await readsText(group, await bobGroup.send("hi alice"), "hi alice", "alice");

  const addCharlie = await group.add(
    await mls.generateKeyPackage(charlie, await cred("charlie")),
  );
  await group.receive(addCharlie.commit);
  check(
    (await bobGroup.receive(addCharlie.commit)).type === "commit",
    "bob takes the add",
  );
  const charlieGroup = await mls.groupJoin(charlie, addCharlie.welcome);
  check(charlieGroup.members.length === 3, "three members");

  // An update commit by bob: fresh path keys, everyone follows.
  const update = await bobGroup.update();
  await bobGroup.receive(update.commit);
  await group.receive(update.commit);
  await charlieGroup.receive(update.commit);
  check(
    group.epoch === bobGroup.epoch && bobGroup.epoch === charlieGroup.epoch,
    "one epoch after the update",
  );
  await readsText(
    charlieGroup,
    await bobGroup.send("after update"),
    "after update",
    "charlie",
  );

  // Alice removes charlie.
  const removal = await group.remove(charlie);
  await group.receive(removal.commit);
  await bobGroup.receive(removal.commit);
  await charlieGroup.receive(removal.commit);
  check(charlieGroup.status === "removed", "charlie is removed");
  check(group.members.length === 2, "two members left");

  const a = await group.exportSecret("runtimes", "context", 32);
  const b = await bobGroup.exportSecret("runtimes", "context", 32);
  const other = await group.exportSecret("runtimes", "other", 32);
  check(equal(a, b), "alice and bob export the same secret");
  check(!equal(a, other), "another context, another secret");

  if (options.reopen) {
    const again = new mod.MLS({
      cipherSuite: suite,
      storage: await options.reopen(suite),
    });
    const bobAgain = await again.groupGet(bobGroup.groupId, bobGroup.clientId);
    check(bobAgain !== null, "bob's group is in storage");
    check(bobAgain.epoch === group.epoch, "stored at the current epoch");
    await readsText(
      bobAgain,
      await group.send("after reopen"),
      "after reopen",
      "bob again",
    );
    check(
      equal(await bobAgain.exportSecret("runtimes", "context", 32), a),
      "the stored group exports the same secret",
    );
  }
  return hex(a);
}

/**
 * Runs the flow for every suite in `options.suites` (default: all the
 * module knows). Returns one result per suite: `{ suite, name, ok, ms,
 * implementation, exporter?, error? }`; never throws for a suite's failure.
 */
export async function runtimeFlow(mod, options = {}) {
  const suites = options.suites ??
    Object.keys(mod.CIPHER_SUITES).map(Number);
  const provider = mod.defaultProvider();
  const results = [];
  for (const suite of suites) {
    const name = mod.CIPHER_SUITES[suite]?.name ?? "?";
    const start = performance.now();
    try {
      const cs = await provider.suite(suite);
      const exporter = await suiteFlow(mod, suite, options);
      results.push({
        suite,
        name,
        ok: true,
        ms: Math.round(performance.now() - start),
        implementation: cs.implementation ?? "",
        exporter,
        persisted: Boolean(options.reopen),
      });
    } catch (e) {
      results.push({
        suite,
        name,
        ok: false,
        ms: Math.round(performance.now() - start),
        error: `${e?.name}: ${e?.message}${e?.code ? ` (${e.code})` : ""}${
          e?.cause ? ` cause: ${e.cause}` : ""
        }`,
      });
    }
  }
  return results;
}
