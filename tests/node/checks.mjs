// Runtime checks shared by the Node smoke test (tests/node/node_smoke.mjs)
// and the browser page (tests/browser/index.html): plain JavaScript against
// the built bundle `dist/webmls.mjs`, passed in as `mod`.

const enc = new TextEncoder();

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Provider crypto for suites 1 and 2: signature keys (extractable and not),
 * sign/verify, HPKE seal/open. Returns a log of what ran.
 */
export async function cryptoChecks(mod) {
  const log = [];
  const provider = mod.defaultProvider();
  for (const id of [1, 2]) {
    const cs = await provider.suite(id);
    const msg = enc.encode(`message for suite ${id}`);
    for (const extractable of [true, false]) {
      const kp = await cs.signatureGenerateKeyPair({ extractable });
      const sig = await cs.sign(kp.privateKey, msg);
      check(await cs.verify(kp.publicKey, msg, sig), `suite ${id} verify`);
      check(
        !(await cs.verify(kp.publicKey, enc.encode("other"), sig)),
        `suite ${id} rejects a wrong message`,
      );
      check(
        equal(await cs.signaturePublicKey(kp.privateKey), kp.publicKey),
        `suite ${id} public key from private`,
      );
    }
    const hpke = await cs.hpkeGenerateKeyPair();
    const info = enc.encode("info");
    const aad = enc.encode("aad");
    const sealed = await cs.hpkeSeal(hpke.publicKey, info, aad, msg);
    const opened = await cs.hpkeOpen(
      hpke.privateKey,
      sealed.kemOutput,
      info,
      aad,
      sealed.ciphertext,
    );
    check(equal(opened, msg), `suite ${id} HPKE round trip`);
    let rejected = false;
    try {
      await cs.hpkeOpen(
        hpke.privateKey,
        sealed.kemOutput,
        info,
        msg,
        sealed.ciphertext,
      );
    } catch (e) {
      rejected = e instanceof mod.MlsError;
    }
    check(rejected, `suite ${id} HPKE rejects a wrong aad with MlsError`);
    log.push(
      `suite ${id} (${mod.CIPHER_SUITES[id].name}): sign/verify, HPKE ok`,
    );
  }
  return log;
}

/**
 * The explainer's flow through `MLS`, if the bundle exports it: Alice
 * creates a group, adds Bob, they exchange messages, agree on an exported
 * secret; then Charlie joins. `storage` is passed to `new MLS` (omitted: the
 * default). Returns a log.
 */
export async function mlsFlow(mod, options = {}) {
  if (!mod.MLS) throw new Error("the bundle does not export MLS");
  const log = [];
  const mls = new mod.MLS({ storage: options.storage });
  const alice = await mls.generateIdentity();
  const bob = await mls.generateIdentity();
  const charlie = await mls.generateIdentity();
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  log.push(
    `alice created group ${group.groupId.slice(0, 16)}…, epoch ${group.epoch}`,
  );

  const bobKp = await mls.generateKeyPackage(
    bob,
    await mls.generateCredential("bob"),
  );
  const added = await group.add(bobKp);
  await group.receive(added); // our own commit, back from the group
  const bobGroup = await mls.groupJoin(bob, added);
  check(bobGroup.epoch === group.epoch, "bob joins at alice's epoch");
  check(group.details().members.length === 2, "two members");
  log.push(`bob joined, epoch ${bobGroup.epoch}`);

  const r1 = await bobGroup.receive(await group.send("hello bob"));
  check(
    r1.type === "application" && r1.text() === "hello bob",
    "bob reads alice",
  );
  const r2 = await group.receive(await bobGroup.send(enc.encode("hi alice")));
  check(
    r2.type === "application" && r2.text() === "hi alice",
    "alice reads bob",
  );
  log.push(`messages: "${r1.text()}", "${r2.text()}"`);

  const a = await group.exportSecret("label", "context", 32);
  const b = await bobGroup.exportSecret("label", "context", 32);
  const c = await bobGroup.exportSecret("label", "other", 32);
  check(equal(a, b) && !equal(a, c), "exported secrets agree");
  log.push("exported secrets equal for equal label and context");

  const charlieKp = await mls.generateKeyPackage(
    charlie,
    await mls.generateCredential("charlie"),
  );
  const added2 = await bobGroup.add(charlieKp);
  await bobGroup.receive(added2);
  const r3 = await group.receive(added2);
  check(r3.type === "commit", "alice processes bob's commit");
  const charlieGroup = await mls.groupJoin(charlie, added2);
  check(
    group.epoch === bobGroup.epoch && bobGroup.epoch === charlieGroup.epoch,
    "one epoch for all",
  );
  check(charlieGroup.details().members.length === 3, "three members");
  const r4 = await charlieGroup.receive(await group.send("welcome charlie"));
  check(
    r4.type === "application" && r4.text() === "welcome charlie",
    "charlie reads",
  );
  log.push(`charlie joined, epoch ${charlieGroup.epoch}, 3 members`);

  if (options.reopen) {
    // A second MLS over the same storage carries on the conversation.
    const again = new mod.MLS({ storage: await options.reopen() });
    const bobAgain = await again.groupGet(bobGroup.groupId, bobGroup.clientId);
    check(bobAgain !== null, "bob's group is in storage");
    const r5 = await bobAgain.receive(await group.send("after reopen"));
    check(
      r5.type === "application" && r5.text() === "after reopen",
      "reopened",
    );
    log.push("a new MLS on the same storage carries on");
  }
  return log;
}
