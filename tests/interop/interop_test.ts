// Interoperability with ts-mls (npm:ts-mls@1.6.4), an independent
// TypeScript implementation of RFC 9420, for every cipher suite both sides
// support, with handshake messages as PublicMessage and as PrivateMessage.
//
// One group of webmls ("w…") and ts-mls ("t…") members, created by ts-mls,
// goes through: joins from each side's Welcome (with the tree in the Welcome
// and passed separately), application messages from every member to every
// other, self-update commits, proposals from one side committed by the
// other, removals both ways, an add and a remove in one commit. After every
// epoch all members must agree on the epoch and on an exporter secret
// (§8.5). A second, shorter test starts from a webmls-created group. Every
// byte that crosses is an encoded MLSMessage or an encoded ratchet tree.
// ts-mls key packages carry GREASE values (§13.5); one webmls member pads
// its PrivateMessages (§6.3.1).
//
// ts-mls 1.6.4 has no API to send an Update proposal (it can receive and
// commit one), so Update proposals only go from webmls to ts-mls here.
//
// The post-quantum suites run under ts-mls's numbering (77 to 88, a
// provider with `codePoints: "ts-mls"`): every one of ts-mls's twelve.
import assert from "node:assert/strict";
import { createProvider } from "../../providers/mod.ts";
import type { Member, Outcome } from "./member.ts";
import { tsMlsGroup, TsMlsJoiner, tsSuite } from "./ts_mls_adapter.ts";
import {
  webmlsGroup,
  WebmlsJoiner,
  type WebmlsMember,
} from "./webmls_adapter.ts";

const provider = createProvider({ codePoints: "ts-mls" });
const text = (s: string) => new TextEncoder().encode(s);

/** The members of one group, and what they must agree on. */
class Group {
  members: Member[] = [];
  /** Handshake messages are PublicMessages (else PrivateMessages). */
  constructor(readonly publicMessage: boolean) {}
  #lastExport?: Uint8Array;

  add(m: Member) {
    this.members.push(m);
  }

  /** Delivers `bytes` from `from` to every other member. */
  async deliver(
    bytes: Uint8Array,
    from: Member,
    expect: Outcome["kind"],
    removed: Member[] = [],
  ): Promise<Map<Member, Outcome>> {
    // MLSMessage: version (uint16, mls10 = 1), wire_format (uint16).
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    assert.equal(view.getUint16(0), 1, "version mls10");
    assert.equal(
      view.getUint16(2),
      expect === "application" || !this.publicMessage ? 2 : 1,
      `wire format of ${from.name}'s ${expect}`,
    );
    const out = new Map<Member, Outcome>();
    for (const m of this.members) {
      if (m === from) continue;
      const r = await m.receive(bytes);
      const want = removed.includes(m) ? "removed" : expect;
      assert.equal(r.kind, want, `${m.name} receiving from ${from.name}`);
      out.set(m, r);
    }
    this.members = this.members.filter((m) => !removed.includes(m));
    return out;
  }

  /** Everyone is at `epoch` and exports the same, new secret. */
  async check(epoch: bigint) {
    const ctx = text(`epoch ${epoch}`);
    const secrets = await Promise.all(
      this.members.map((m) => m.exporter("interop", ctx, 32)),
    );
    for (const [i, m] of this.members.entries()) {
      assert.equal(m.epoch(), epoch, `${m.name} epoch`);
      assert.deepEqual(secrets[i], secrets[0], `${m.name} exporter secret`);
    }
    if (this.#lastExport) assert.notDeepEqual(secrets[0], this.#lastExport);
    this.#lastExport = secrets[0];
  }

  /** Every member sends one application message to all others. */
  async chat() {
    for (const from of this.members) {
      const msg = `${from.name} (${from.side}) at epoch ${from.epoch()}`;
      const got = await this.deliver(
        await from.send(text(msg)),
        from,
        "application",
      );
      for (const [m, r] of got) {
        assert.ok(r.kind === "application");
        assert.equal(new TextDecoder().decode(r.data), msg, m.name);
      }
    }
  }
}

Deno.test("interop with ts-mls: both sides have all twelve post-quantum suites", async () => {
  // The per-suite tests are ignored where ts-mls lacks a suite (an optional
  // peer dependency missing); this one fails instead.
  for (let id = 77; id <= 88; id++) {
    assert.ok(provider.supportedSuites.includes(id), `webmls suite ${id}`);
    assert.ok(await tsSuite(id), `ts-mls suite ${id}`);
  }
});

for (const suite of provider.supportedSuites) {
  const impl = await tsSuite(suite);
  Deno.test({
    name: `interop with ts-mls: suite ${suite}, a webmls-created group`,
    ignore: impl === undefined,
    fn: async () => {
      const cs = await provider.suite(suite);
      const g = new Group(false);
      const w0 = await webmlsGroup(cs, "w0");
      g.add(w0);
      // Tree in the Welcome, then passed separately.
      for (const [name, treeInWelcome] of [["ta", true], ["tb", false]]) {
        const j = await TsMlsJoiner.create(impl!, `${name}`);
        const c = await w0.commit({
          add: [j.keyPackage],
          public: false,
          treeInWelcome: treeInWelcome as boolean,
        });
        await g.deliver(c.commit, w0, "commit");
        g.add(await j.join(c.welcome!, treeInWelcome ? undefined : c.tree));
        await g.check(w0.epoch());
      }
      await g.chat();
      const c = await g.members[2].commit({ public: false });
      await g.deliver(c.commit, g.members[2], "commit");
      await g.check(3n);
      await g.chat();
    },
  });
  for (const publicMessage of [true, false]) {
    const wf = publicMessage ? "PublicMessage" : "PrivateMessage";
    Deno.test({
      name: `interop with ts-mls: suite ${suite}, handshakes as ${wf}`,
      // ts-mls lacks the suite only when an optional dependency is missing.
      ignore: impl === undefined,
      fn: async (t) => {
        const cs = await provider.suite(suite);
        const g = new Group(publicMessage);
        const pm = publicMessage;

        const t1 = await tsMlsGroup(impl!, "t1");
        g.add(t1);
        let w1!: WebmlsMember;
        await t.step("ts-mls adds webmls, tree in the Welcome", async () => {
          const j = await WebmlsJoiner.create(cs, "w1");
          const c = await t1.commit({
            add: [j.keyPackage],
            public: pm,
            treeInWelcome: true,
          });
          await g.deliver(c.commit, t1, "commit");
          w1 = await j.join(c.welcome!) as WebmlsMember;
          // w1 pads its PrivateMessages (§6.3.1), ts-mls must strip that.
          w1.state = {
            ...w1.state,
            config: { ...w1.state.config, padding: { blockSize: 64 } },
          };
          g.add(w1);
          await g.check(1n);
        });

        let t2!: Member;
        await t.step("webmls adds ts-mls, tree in the Welcome", async () => {
          const j = await TsMlsJoiner.create(impl!, "t2");
          const c = await w1.commit({
            add: [j.keyPackage],
            public: pm,
            treeInWelcome: true,
          });
          await g.deliver(c.commit, w1, "commit");
          t2 = await j.join(c.welcome!);
          g.add(t2);
          await g.check(2n);
        });

        let w2!: WebmlsMember;
        await t.step("ts-mls adds webmls, tree passed separately", async () => {
          const j = await WebmlsJoiner.create(cs, "w2");
          const c = await t2.commit({
            add: [j.keyPackage],
            public: pm,
            treeInWelcome: false,
          });
          await g.deliver(c.commit, t2, "commit");
          await assert.rejects(j.join(c.welcome!), /no ratchet tree/);
          w2 = await j.join(c.welcome!, c.tree) as WebmlsMember;
          g.add(w2);
          await g.check(3n);
        });

        let t3!: Member;
        await t.step("webmls adds ts-mls, tree passed separately", async () => {
          const j = await TsMlsJoiner.create(impl!, "t3");
          const c = await w2.commit({
            add: [j.keyPackage],
            public: pm,
            treeInWelcome: false,
          });
          await g.deliver(c.commit, w2, "commit");
          await assert.rejects(j.join(c.welcome!));
          t3 = await j.join(c.welcome!, c.tree);
          g.add(t3);
          await g.check(4n);
        });

        await t.step("application messages, every member to all", async () => {
          await g.chat();
        });

        await t.step("self-update (empty commit with path)", async () => {
          const before = w1.encryptionKey();
          const c1 = await w1.commit({ public: pm });
          await g.deliver(c1.commit, w1, "commit");
          assert.notDeepEqual(w1.encryptionKey(), before);
          await g.check(5n);
          const c2 = await t1.commit({ public: pm });
          await g.deliver(c2.commit, t1, "commit");
          await g.check(6n);
          await g.chat();
        });

        await t.step("webmls proposals committed by ts-mls", async () => {
          // w2 proposes an Update of its leaf, w1 the removal of t3.
          const keyBefore = w2.encryptionKey();
          const upd = await w2.proposeUpdate(pm);
          await g.deliver(upd, w2, "proposal");
          const rem = await w1.proposeRemove(t3.leafIndex(), pm);
          await g.deliver(rem, w1, "proposal");
          const c = await t1.commit({ public: pm });
          await g.deliver(c.commit, t1, "commit", [t3]);
          assert.notDeepEqual(w2.encryptionKey(), keyBefore);
          assert.deepEqual(
            w1.state.tree.getLeaf(w2.leafIndex())!.encryptionKey,
            w2.encryptionKey(),
          );
          await g.check(7n);
        });

        await t.step("ts-mls proposal committed by webmls", async () => {
          const j = await WebmlsJoiner.create(cs, "w3");
          const add = await t2.proposeAdd(j.keyPackage, pm);
          await g.deliver(add, t2, "proposal");
          const c = await w2.commit({ public: pm });
          await g.deliver(c.commit, w2, "commit");
          g.add(await j.join(c.welcome!));
          await g.check(8n);
        });

        await t.step("webmls removes ts-mls", async () => {
          const c = await w1.commit({ remove: [t2.leafIndex()], public: pm });
          await g.deliver(c.commit, w1, "commit", [t2]);
          await g.check(9n);
        });

        await t.step("ts-mls removes webmls and adds webmls", async () => {
          // Add and Remove in one commit: the path is required, so the
          // Welcome carries a path secret from ts-mls to webmls (§12.4.3.1).
          const j = await WebmlsJoiner.create(cs, "w4");
          const c = await t1.commit({
            add: [j.keyPackage],
            remove: [w2.leafIndex()],
            public: pm,
          });
          await g.deliver(c.commit, t1, "commit", [w2]);
          g.add(await j.join(c.welcome!));
          await g.check(10n);
          assert.deepEqual(
            g.members.map((m) => m.name),
            ["t1", "w1", "w3", "w4"],
          );
          await g.chat();
        });
      },
    });
  }
}
