// ts-mls (npm:ts-mls@1.6.4, a test-only dependency) behind the interop
// `Member` interface. Only this file and the interop tests import it.
import {
  acceptAll,
  type Capabilities,
  type CiphersuiteImpl,
  type CiphersuiteName,
  ciphersuites,
  type ClientState,
  createApplicationMessage,
  createCommit,
  createGroup,
  createProposal,
  decodeMlsMessage,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  type KeyPackage,
  mlsExporter,
  type MLSMessage,
  type PrivateKeyPackage,
  processMessage,
  type Proposal,
} from "ts-mls";
import { decodeRatchetTree, encodeRatchetTree } from "ts-mls/ratchetTree.js";
import type {
  CommitRequest,
  Joiner,
  Member,
  Outcome,
  SentCommit,
} from "./member.ts";

const enc = (msg: MLSMessage): Uint8Array => encodeMlsMessage(msg);

function dec(bytes: Uint8Array): MLSMessage {
  const r = decodeMlsMessage(bytes, 0);
  if (!r) throw new Error("ts-mls: cannot decode MLSMessage");
  if (r[1] !== bytes.length) throw new Error("ts-mls: trailing bytes");
  return r[0];
}

function keyPackageOf(bytes: Uint8Array): KeyPackage {
  const m = dec(bytes);
  if (m.wireformat !== "mls_key_package") {
    throw new Error(`ts-mls: expected a key package, got ${m.wireformat}`);
  }
  return m.keyPackage;
}

/** ts-mls's implementation of cipher suite `id`, or undefined if it has none. */
export async function tsSuite(
  id: number,
): Promise<CiphersuiteImpl | undefined> {
  const name = (Object.keys(ciphersuites) as CiphersuiteName[]).find((n) =>
    ciphersuites[n] === id
  );
  if (!name) return undefined;
  try {
    return await getCiphersuiteImpl(getCiphersuiteFromName(name));
  } catch {
    return undefined; // an optional peer dependency is missing
  }
}

/**
 * ts-mls's default capabilities, but with one fixed GREASE value (§13.5) in
 * each list instead of ts-mls's random ones, so that runs are repeatable.
 */
function capabilities(): Capabilities {
  const grease = 0x0a0a;
  return {
    versions: ["mls10"],
    ciphersuites: [
      ...(Object.keys(ciphersuites) as CiphersuiteName[]),
      String(grease) as CiphersuiteName,
    ],
    extensions: [grease],
    proposals: [grease],
    credentials: ["basic", "x509", String(grease) as "basic"],
  };
}

async function keyPackage(impl: CiphersuiteImpl, name: string) {
  return await generateKeyPackage(
    { credentialType: "basic", identity: new TextEncoder().encode(name) },
    capabilities(),
    defaultLifetime,
    [],
    impl,
  );
}

/** A ts-mls member. */
export class TsMlsMember implements Member {
  readonly side = "ts-mls";
  constructor(
    readonly name: string,
    private impl: CiphersuiteImpl,
    public state: ClientState,
  ) {}

  leafIndex(): number {
    return this.state.privatePath.leafIndex;
  }

  epoch(): bigint {
    return this.state.groupContext.epoch;
  }

  async send(data: Uint8Array): Promise<Uint8Array> {
    const r = await createApplicationMessage(this.state, data, this.impl);
    this.state = r.newState;
    return enc({
      version: "mls10",
      wireformat: "mls_private_message",
      privateMessage: r.privateMessage,
    });
  }

  async receive(bytes: Uint8Array): Promise<Outcome> {
    const m = dec(bytes);
    if (
      m.wireformat !== "mls_private_message" &&
      m.wireformat !== "mls_public_message"
    ) {
      throw new Error(`ts-mls: cannot receive ${m.wireformat}`);
    }
    const before = this.epoch();
    const r = await processMessage(
      m,
      this.state,
      emptyPskIndex,
      acceptAll,
      this.impl,
    );
    this.state = r.newState;
    if (r.kind === "applicationMessage") {
      return { kind: "application", data: r.message };
    }
    if (r.actionTaken !== "accept") throw new Error("ts-mls rejected it");
    if (this.state.groupActiveState.kind === "removedFromGroup") {
      return { kind: "removed" };
    }
    return { kind: this.epoch() === before ? "proposal" : "commit" };
  }

  async commit(req: CommitRequest): Promise<SentCommit> {
    const extraProposals: Proposal[] = [
      ...(req.add ?? []).map((kp): Proposal => ({
        proposalType: "add",
        add: { keyPackage: keyPackageOf(kp) },
      })),
      ...(req.remove ?? []).map((removed): Proposal => ({
        proposalType: "remove",
        remove: { removed },
      })),
    ];
    const r = await createCommit(
      { state: this.state, cipherSuite: this.impl },
      {
        extraProposals,
        wireAsPublicMessage: req.public,
        ratchetTreeExtension: req.treeInWelcome ?? true,
      },
    );
    this.state = r.newState;
    return {
      commit: enc(r.commit),
      welcome: r.welcome &&
        enc({
          version: "mls10",
          wireformat: "mls_welcome",
          welcome: r.welcome,
        }),
      tree: encodeRatchetTree(this.state.ratchetTree),
    };
  }

  async #propose(proposal: Proposal, publicMessage: boolean) {
    const r = await createProposal(
      this.state,
      publicMessage,
      proposal,
      this.impl,
    );
    this.state = r.newState;
    return enc(r.message);
  }

  proposeAdd(kp: Uint8Array, publicMessage: boolean): Promise<Uint8Array> {
    return this.#propose(
      { proposalType: "add", add: { keyPackage: keyPackageOf(kp) } },
      publicMessage,
    );
  }

  proposeRemove(leaf: number, publicMessage: boolean): Promise<Uint8Array> {
    return this.#propose(
      { proposalType: "remove", remove: { removed: leaf } },
      publicMessage,
    );
  }

  exporter(label: string, context: Uint8Array, length: number) {
    return mlsExporter(
      this.state.keySchedule.exporterSecret,
      label,
      context,
      length,
      this.impl,
    );
  }
}

/** A ts-mls client with a fresh key package. */
export class TsMlsJoiner implements Joiner {
  readonly keyPackage: Uint8Array;
  private constructor(
    readonly name: string,
    private impl: CiphersuiteImpl,
    private publicPackage: KeyPackage,
    private privatePackage: PrivateKeyPackage,
  ) {
    this.keyPackage = enc({
      version: "mls10",
      wireformat: "mls_key_package",
      keyPackage: publicPackage,
    });
  }

  /** Generates a key package for `name`. */
  static async create(
    impl: CiphersuiteImpl,
    name: string,
  ): Promise<TsMlsJoiner> {
    const kp = await keyPackage(impl, name);
    return new TsMlsJoiner(name, impl, kp.publicPackage, kp.privatePackage);
  }

  async join(welcome: Uint8Array, tree?: Uint8Array): Promise<Member> {
    const m = dec(welcome);
    if (m.wireformat !== "mls_welcome") throw new Error("ts-mls: no Welcome");
    let ratchetTree;
    if (tree) {
      const t = decodeRatchetTree(tree, 0);
      if (!t || t[1] !== tree.length) throw new Error("ts-mls: bad tree");
      ratchetTree = t[0];
    }
    const state = await joinGroup(
      m.welcome,
      this.publicPackage,
      this.privatePackage,
      emptyPskIndex,
      this.impl,
      ratchetTree,
    );
    return new TsMlsMember(this.name, this.impl, state);
  }
}

/** Creates a one-member ts-mls group. */
export async function tsMlsGroup(
  impl: CiphersuiteImpl,
  name: string,
): Promise<TsMlsMember> {
  const kp = await keyPackage(impl, name);
  const state = await createGroup(
    crypto.getRandomValues(new Uint8Array(16)),
    kp.publicPackage,
    kp.privatePackage,
    [],
    impl,
  );
  return new TsMlsMember(name, impl, state);
}
