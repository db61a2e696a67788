// Error codes of the Web API that no other test asserted (issue 13,
// tests/errors_test.ts): applyPendingCommit() without a pending commit,
// and an automatic commit that fails for a reason that is not an MlsError.
import assert from "node:assert/strict";
import { type GroupView, MLS, MlsError } from "../../mod.ts";
import { defaultProvider } from "../../providers/mod.ts";
import type {
  CipherSuiteId,
  CryptoProvider,
  SuiteCrypto,
} from "../../providers/provider.ts";

/** Alice's group with Bob and Carol, over one `MLS`. */
async function trio(options: ConstructorParameters<typeof MLS>[0] = {}) {
  const mls = new MLS(options);
  const [alice, bob, carol] = await Promise.all([
    mls.generateIdentity(),
    mls.generateIdentity(),
    mls.generateIdentity(),
  ]);
  const a = await mls.groupCreate(alice, await mls.generateCredential("alice"));
  const add = await a.add([
    await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
    await mls.generateKeyPackage(carol, await mls.generateCredential("carol")),
  ]);
  await a.receive(add.commit);
  const b = await mls.groupJoin(bob, add.welcome!);
  const c = await mls.groupJoin(carol, add.welcome!);
  return { mls, a, b, c };
}

async function talks(from: GroupView, to: GroupView): Promise<void> {
  const r = await to.receive(await from.send("still here"));
  assert.ok(r.type === "application" && r.text() === "still here");
}

Deno.test("API: applyPendingCommit() without a pending commit is no_pending_commit", async () => {
  const { mls, a } = await trio();
  const stored = async () =>
    await Promise.all(
      (await mls.storage.list("")).sort().map((k) => mls.storage.get(k)),
    );
  const before = await stored();
  await assert.rejects(
    a.applyPendingCommit(),
    (e) => e instanceof MlsError && e.code === "no_pending_commit",
  );
  assert.deepEqual(await stored(), before, "nothing was written");
  // After a commit is applied, there is none again.
  await a.update();
  assert.equal(a.hasPendingCommit, true);
  const epoch = a.epoch;
  const applied = await a.applyPendingCommit();
  assert.equal(applied.type, "commit");
  assert.equal(a.epoch, epoch + 1n);
  await assert.rejects(
    a.applyPendingCommit(),
    (e) => e instanceof MlsError && e.code === "no_pending_commit",
  );
  assert.equal(a.epoch, epoch + 1n);
});

/** A provider whose HPKE key generation can be made to throw a plain error. */
function throwingProvider(): { provider: CryptoProvider; fail: boolean } {
  const base = defaultProvider();
  const control = { fail: false, provider: undefined! as CryptoProvider };
  control.provider = {
    name: "throwing",
    supportedSuites: base.supportedSuites,
    async suite(id: CipherSuiteId): Promise<SuiteCrypto> {
      const cs = await base.suite(id);
      return new Proxy(cs, {
        get(target, key) {
          if (key === "hpkeGenerateKeyPair" && control.fail) {
            return () => Promise.reject(new TypeError("injected"));
          }
          const v = Reflect.get(target, key);
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
    },
  };
  return control;
}

Deno.test("API: an automatic commit that fails with a plain error is reported as commit_failed, with the error as its cause", async () => {
  const faulty = throwingProvider();
  const { a, b, c } = await trio({ provider: faulty.provider });
  const carol = c.members.find((m) => m.clientId === c.clientId)!;
  const proposal = await b.proposeRemove(carol);
  faulty.fail = true; // Alice's commit cannot make its new leaf key
  const seen = await a.receive(proposal);
  faulty.fail = false;
  assert.equal(seen.type, "proposal");
  if (seen.type !== "proposal") return;
  assert.equal(seen.commitOutput, undefined);
  assert.ok(seen.commitError instanceof MlsError);
  assert.equal(seen.commitError.code, "commit_failed");
  assert.ok(seen.commitError.cause instanceof TypeError);
  assert.equal(seen.commitError.cause.message, "injected");
  // The proposal is kept: committing it later works.
  const out = await a.commit();
  await a.receive(out.commit);
  await b.receive(out.commit);
  await talks(a, b);
});
