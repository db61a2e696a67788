/**
 * `MLS`: the entry point of the Web API (the explainer's `new MLS()`):
 * identities, credentials, key packages, and creating, joining and loading
 * groups. All state lives in the configured {@link Storage}.
 *
 * @module
 */

import { MAX_DELTA_RECORDS } from "./persist.ts";
import { encode } from "../codec/codec.ts";
import { signWithLabel } from "../crypto/labeled.ts";
import { MlsError } from "../errors.ts";
import { mlsMessageCodec } from "../framing/mls_message.ts";
import { WireFormat } from "../framing/wire_format.ts";
import type { GroupConfig } from "../group/config.ts";
import { createGroup } from "../group/create.ts";
import { joinExternal } from "../group/external_join.ts";
import { generateKeyPackage, keyPackageRef } from "../group/key_package.ts";
import type { PskLookup } from "../group/psks.ts";
import { ProtocolVersion } from "../messages/protocol_version.ts";
import { ratchetTreeCodec } from "../messages/ratchet_tree.ts";
import type {
  CryptoProvider,
  SignaturePrivateKey,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { defaultProvider } from "../../providers/mod.ts";
import { decode } from "../codec/codec.ts";
import { fromHex, toHex, utf8Encode } from "../util/bytes.ts";
import {
  checkBoolean,
  checkBytes,
  checkClientId,
  checkFunction,
  checkOptions,
  checkStringOrBytes,
  invalid,
  optional,
  settle,
} from "./args.ts";
import { credentialValidator, wireCredential } from "./convert.ts";
import {
  type GenerateKeyPackageOptions,
  keyPackageOptions,
} from "./key_package_options.ts";
import {
  decodeMessage,
  messageBytes,
  type MessageInput,
} from "./message_input.ts";
import {
  checkCipherSuite,
  checkGroupConfig,
  checkHandshakeWireFormat,
  checkProvider,
  checkStorage,
} from "./settings_check.ts";
import { creatorOptions, type GroupCreateOptions } from "./group_create.ts";
import { GroupView } from "./group_view.ts";
import { deletePsk, pskLookup, storePsk } from "./psk_store.ts";
import { type ServiceProposal, serviceProposal } from "./service_proposal.ts";
import {
  joinResuming,
  reinitOf,
  type ResumedGroup,
  resumedGroup,
} from "./resumption.ts";
import { liveStateOf } from "./view_registry.ts";
import type { KeyPackageInput } from "./proposal_input.ts";
import { loadGroupView, storeGroupView } from "./view_open.ts";
import type { ViewEnvironment } from "./view_environment.ts";
import {
  belongsToClient,
  groupKey,
  identityKey,
  identityRecord,
  keyPackageKey,
  keyPackagePrefix,
  keyPackageRecord,
  signerKey,
} from "./records.ts";
import { MemoryStorage } from "./storage/memory.ts";
import { guardStorage } from "./storage/guarded.ts";
import { getBytes, type Storage } from "./storage/storage.ts";
import type {
  AuthorizeHook,
  BasicCredential,
  CredentialHook,
  CredentialInfo,
  Identity,
  KeyPackageOutput,
} from "./types.ts";

/** Options of the {@link MLS} constructor; all optional. */
export interface MLSOptions {
  /** Where identities, key packages and groups are kept (memory by default). */
  storage?: Storage;
  /**
   * Cipher suite for new identities (default 1: X25519, AES-128-GCM,
   * Ed25519): its code point, or its name, such as
   * `"MLS_128_MLKEM768X25519_AES128GCM_SHA256_Ed25519"` (post-quantum; the
   * provider's `codePoints` numbering gives its code point).
   */
  cipherSuite?: number | string;
  /** Crypto provider (default: WebCrypto with pure-JS fallbacks). */
  provider?: CryptoProvider;
  /** Policy for incoming proposals and commits. */
  authorize?: AuthorizeHook;
  /**
   * Commit proposals as they are received (default true), so that
   * `receive(proposal)` returns the commit to send, as in the explainer.
   */
  autoCommit?: boolean;
  /** Settings for new groups (wire format, padding, retention). */
  groupConfig?: Partial<GroupConfig>;
  /**
   * External PSKs, by id: asked before those stored with
   * {@link MLS.storePsk}.
   */
  psks?: PskLookup;
  /**
   * How many per-entry ratchet records (one per secret-tree entry a message
   * changed) a group may accumulate in storage before a message rewrites
   * the whole ratchets record instead (default 512). Messages write only
   * their entries in between; loading a group reads every such record, so
   * a smaller value makes loading cheaper and a larger one writes less in
   * large, active groups.
   */
  ratchetRecordLimit?: number;
  /**
   * The application's Authentication Service (RFC 9420 §5.3.1), asked
   * about every credential that enters a group or replaces another: key
   * packages being added, Update and commit leaves, external joiners, the
   * members of a group this client joins. By default new credentials are
   * accepted and a change of identity is refused (see {@link CredentialHook}).
   */
  validateCredential?: CredentialHook;
  /**
   * The longest total lifetime, in seconds, accepted for a key package's
   * leaf (RFC 9420 §7.2: "Applications MUST define a maximum total
   * lifetime"), checked when adding, receiving and joining. Default
   * {@link DEFAULT_MAX_LIFETIME}: 91 days, the 90 days webmls gives its own
   * key packages plus a day of slack. Key packages from other clients with
   * longer lifetimes (some use 2^63 s) need a larger value.
   */
  maxLifetime?: number;
}

/** Default of {@link MLSOptions.maxLifetime}: 91 days, in seconds. */
export const DEFAULT_MAX_LIFETIME = 91 * 86400;

/** The result of {@link MLS.groupJoinExternal}. */
export interface ExternalJoinOutput {
  /** `"externalJoin"` */
  readonly type: "externalJoin";
  /** The joined group (already in the new epoch). */
  readonly group: GroupView;
  /** The external commit to send to the group. */
  readonly commit: Uint8Array;
}

interface LoadedIdentity {
  identity: Identity;
  signer: SignaturePrivateKey;
  cs: SuiteCrypto;
}

function hexOrBytes(id: unknown, field: string): string {
  const v = checkStringOrBytes(id, field);
  if (typeof v !== "string") return toHex(v);
  try {
    return toHex(fromHex(v));
  } catch {
    return invalid(field, "a hex string or bytes", "a string that is not hex");
  }
}

/**
 * The group settings of a create or join call: `MLSOptions.groupConfig`,
 * then `options.config`, then `options.handshakeWireFormat`, checked.
 */
function groupSettings(
  base: Partial<GroupConfig>,
  o: Record<string, unknown>,
): Partial<GroupConfig> {
  const config = optional(o.config, "options.config", checkGroupConfig);
  const wf = optional(
    o.handshakeWireFormat,
    "options.handshakeWireFormat",
    checkHandshakeWireFormat,
  );
  return {
    ...base,
    ...config,
    ...(wf === undefined ? {} : { handshakeWireFormat: wf }),
  };
}

/** `options.ratchetTree`, decoded, if given. */
function ratchetTreeOption(o: Record<string, unknown>) {
  const bytes = optional(o.ratchetTree, "options.ratchetTree", checkBytes);
  return bytes && decode(ratchetTreeCodec, bytes, "options.ratchetTree");
}

/**
 * The Web API for MLS.
 *
 * @example The explainer's first steps
 * ```ts
 * import { MLS } from "@webmls/mls";
 * const mls = new MLS();
 * const alice = await mls.generateIdentity();
 * const aliceCredential = await mls.generateCredential("alice");
 * const group = await mls.groupCreate(alice, aliceCredential);
 * console.log(group.details().members.length); // 1
 * ```
 */
export class MLS {
  /** The storage given (or the default one). */
  #givenStorage: Storage;
  /** The same, every failure an `MlsError` (see `storage/guarded.ts`). */
  #storage: Storage;
  #provider: CryptoProvider;
  #defaultSuite: number;
  #env: ViewEnvironment;
  #groupConfig: Partial<GroupConfig>;
  #views = new Map<string, GroupView>();

  /**
   * Creates an MLS client store; every option has a default. Every option
   * is checked here: a wrong type is `invalid_argument` naming the option
   * in `field`, a cipher suite the provider does not serve is
   * `unsupported_cipher_suite`.
   *
   * @example A client on P-256 that commits received proposals by hand
   * ```ts
   * import { MemoryStorage, MLS } from "@webmls/mls";
   * const mls = new MLS({
   *   storage: new MemoryStorage(),
   *   cipherSuite: 2, // MLS_128_DHKEMP256_AES128GCM_SHA256_P256
   *   autoCommit: false,
   * });
   * console.log((await mls.generateIdentity()).cipherSuite); // 2
   * ```
   *
   * @example A post-quantum suite, by name (draft-ietf-mls-pq-ciphersuites)
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS({
   *   cipherSuite: "MLS_128_MLKEM768X25519_AES128GCM_SHA256_Ed25519",
   * });
   * console.log((await mls.generateIdentity()).cipherSuite); // 61441 (0xF001)
   * ```
   */
  constructor(options: MLSOptions = {}) {
    const o = checkOptions(options);
    this.#givenStorage = optional(o.storage, "storage", checkStorage) ??
      new MemoryStorage();
    this.#storage = guardStorage(this.#givenStorage);
    this.#provider = optional(o.provider, "provider", checkProvider) ??
      defaultProvider();
    this.#defaultSuite = checkCipherSuite(
      o.cipherSuite ?? 1,
      "cipherSuite",
      this.#provider,
    );
    this.#groupConfig =
      optional(o.groupConfig, "groupConfig", checkGroupConfig) ??
        {};
    const limit = o.ratchetRecordLimit ?? MAX_DELTA_RECORDS;
    if (!Number.isSafeInteger(limit) || (limit as number) < 1) {
      throw new MlsError(
        "invalid_argument",
        "ratchetRecordLimit must be a positive integer",
        "ratchetRecordLimit",
      );
    }
    const maxLifetime = options.maxLifetime ?? DEFAULT_MAX_LIFETIME;
    if (!Number.isSafeInteger(maxLifetime) || maxLifetime < 1) {
      throw new MlsError(
        "invalid_argument",
        "maxLifetime must be a positive number of seconds",
        "maxLifetime",
      );
    }
    const credentialHook = optional(
      o.validateCredential,
      "validateCredential",
      checkFunction<CredentialHook>,
    );
    this.#env = {
      storage: this.#storage,
      provider: this.#provider,
      authorize: optional(
        o.authorize,
        "authorize",
        checkFunction<AuthorizeHook>,
      ),
      autoCommit: optional(o.autoCommit, "autoCommit", checkBoolean) ?? true,
      psks: pskLookup(
        this.#storage,
        optional(o.psks, "psks", checkFunction<PskLookup>),
      ),
      ratchetRecordLimit: limit as number,
      validation: {
        maxLifetime,
        validateCredential: credentialHook &&
          credentialValidator(credentialHook),
      },
      forget: (g, c) => this.#views.delete(`${g}/${c}`),
      remember: (v) => {
        if (v instanceof GroupView) this.#remember(v);
      },
    };
    // Another tab stored a new state of a group: its view here reloads it.
    // (Held weakly: the storage outlives the instances made over it.)
    const self = new WeakRef(this);
    this.#storage.watch?.((keys) => {
      const mls = self.deref();
      if (mls) mls.#changed(keys);
    });
  }

  /** The storage in use. */
  get storage(): Storage {
    return this.#givenStorage;
  }

  /** Refreshes the views whose epoch state or pending commit changed. */
  #changed(keys: readonly string[]): void {
    const views = new Set<GroupView>();
    for (const k of keys) {
      const m = /^(?:group|pending)\/([0-9a-f]+)\/([0-9a-f]+)$/.exec(k);
      const view = m && this.#views.get(`${m[1]}/${m[2]}`);
      if (view) views.add(view);
    }
    for (const v of views) v.refresh();
  }

  /**
   * Creates a client: a signature key pair kept in storage (as a
   * non-extractable `CryptoKey` where the storage and runtime allow it).
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const p384 = await mls.generateIdentity({ cipherSuite: 7 });
   * console.log(alice.clientId.length, p384.cipherSuite); // 64 7
   * ```
   */
  async generateIdentity(
    options: { cipherSuite?: number | string } = {},
  ): Promise<Identity> {
    const o = checkOptions(options);
    const suite = o.cipherSuite === undefined
      ? this.#defaultSuite
      : checkCipherSuite(o.cipherSuite, "options.cipherSuite", this.#provider);
    const cs = await this.#provider.suite(suite);
    const kp = await cs.signatureGenerateKeyPair({
      extractable: !this.#storage.canStoreCryptoKeys,
    });
    const clientId = toHex(kp.publicKey);
    await this.#storage.batch([
      {
        key: identityKey(clientId),
        value: identityRecord.encode({
          cipherSuite: cs.id,
          signaturePublicKey: kp.publicKey,
        }),
      },
      { key: signerKey(clientId), value: kp.privateKey },
    ]);
    return {
      type: "identity",
      clientId,
      cipherSuite: cs.id,
      signaturePublicKey: kp.publicKey,
    };
  }

  async #identity(
    who: Identity | string,
    field = "identity",
  ): Promise<LoadedIdentity> {
    const clientId = checkClientId(who, field);
    const rec = await getBytes(this.#storage, identityKey(clientId));
    const signer = await this.#storage.get(signerKey(clientId));
    if (!rec || !signer) {
      throw new MlsError(
        "unknown_identity",
        "no such identity in storage",
        field,
      );
    }
    const r = identityRecord.decode(rec);
    return {
      identity: {
        type: "identity",
        clientId,
        cipherSuite: r.cipherSuite,
        signaturePublicKey: r.signaturePublicKey,
      },
      signer,
      cs: await this.#provider.suite(r.cipherSuite),
    };
  }

  /**
   * A basic credential: the name (or identity bytes) the application
   * vouches for. Given an identity, its client id is the name.
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const credential = await mls.generateCredential("alice");
   * console.log(credential.name); // "alice"
   * ```
   */
  generateCredential(
    name: string | Uint8Array | Identity,
  ): Promise<BasicCredential> {
    return settle(() => {
      const text = typeof name === "string"
        ? name
        : name instanceof Uint8Array
        ? undefined
        : checkClientId(name, "name");
      return {
        type: "credential",
        credentialType: "basic",
        identity: text === undefined
          ? (name as Uint8Array).slice()
          : utf8Encode(text),
        name: text,
      };
    });
  }

  /**
   * A signed KeyPackage for `identity`; its private keys stay in storage.
   * Options set what it advertises (capabilities), how long it is valid
   * (lifetime), its extensions, and whether it is a last-resort package;
   * they are checked against RFC 9420 §7.2 and §10 (`invalid_argument`).
   *
   * @example A package valid for a week that supports one more proposal type
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const bob = await mls.generateIdentity();
   * const kp = await mls.generateKeyPackage(
   *   bob,
   *   await mls.generateCredential("bob"),
   *   { lifetime: { seconds: 7 * 86400 }, capabilities: { proposals: [0xf0a1] } },
   * );
   * console.log(kp.type); // "keyPackage"
   * ```
   */
  async generateKeyPackage(
    identity: Identity | string,
    credential: CredentialInfo,
    options: GenerateKeyPackageOptions = {},
  ): Promise<KeyPackageOutput> {
    const { identity: id, signer, cs } = await this.#identity(identity);
    const wire = wireCredential(credential, "credential");
    const kpOptions = keyPackageOptions(options, "options", cs.id, wire);
    const { keyPackage, privateKeys } = await generateKeyPackage(
      cs,
      wire,
      { publicKey: id.signaturePublicKey, privateKey: signer },
      kpOptions,
    );
    const bytes = encode(mlsMessageCodec, {
      version: ProtocolVersion.mls10,
      wireFormat: WireFormat.mlsKeyPackage,
      keyPackage,
    });
    const ref = toHex(await keyPackageRef(cs, keyPackage));
    await this.#storage.batch([{
      key: keyPackageKey(id.clientId, ref),
      value: keyPackageRecord.encode({
        keyPackage: bytes,
        ...privateKeys,
        lastResort: kpOptions.lastResort ? 1 : 0,
      }),
    }]);
    return { type: "keyPackage", bytes, ref, clientId: id.clientId };
  }

  #remember(view: GroupView): GroupView {
    this.#views.set(`${view.groupId}/${view.clientId}`, view);
    return view;
  }

  /**
   * Creates a group with `identity` as its only member. `options.config`
   * and `options.handshakeWireFormat` override `MLSOptions.groupConfig`;
   * `options.extensions` are the group context extensions (RFC 9420 §11.1)
   * and `options.capabilities` the creator's (by default they list the
   * application extension types of `extensions`); see
   * {@link GroupCreateOptions}.
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"), {
   *   handshakeWireFormat: "public",
   * });
   * console.log(group.epoch, group.members.length); // 0n 1
   * ```
   *
   * @example Loading a stored group
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * // Later, or in another MLS instance over the same storage:
   * const again = await new MLS({ storage: mls.storage }).groupGet(group.groupId, alice);
   * console.log(again?.epoch); // 0n
   * ```
   */
  async groupCreate(
    identity: Identity | string,
    credential: CredentialInfo,
    options: GroupCreateOptions = {},
  ): Promise<GroupView> {
    const o = checkOptions(options);
    const config = groupSettings(this.#groupConfig, o);
    const requested = optional(o.groupId, "options.groupId", hexOrBytes);
    const { identity: id, signer, cs } = await this.#identity(identity);
    const wire = wireCredential(credential, "credential");
    const state = await createGroup(
      cs,
      wire,
      { publicKey: id.signaturePublicKey, privateKey: signer },
      {
        groupId: requested === undefined ? undefined : fromHex(requested),
        config,
        ...creatorOptions(o, cs.id, wire),
      },
    );
    const groupId = toHex(state.context.groupId);
    if (await this.#storage.get(groupKey(groupId, id.clientId))) {
      throw new MlsError("group_exists", "this client already has this group");
    }
    return this.#remember(
      await storeGroupView(this.#env, id.clientId, signer, state),
    );
  }

  /**
   * The stored view of a group for a client (by client id or `Identity`),
   * or `null` when none is stored; the same object for the same group and
   * client while it is in use.
   *
   * @example Carrying on after a restart
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const again = await new MLS({ storage: mls.storage }).groupGet(group.groupId, alice);
   * console.log(again?.epoch); // 0n
   * ```
   */
  async groupGet(
    groupId: string | Uint8Array,
    clientId: string | Identity,
  ): Promise<GroupView | null> {
    const g = hexOrBytes(groupId, "groupId");
    const c = checkClientId(clientId, "clientId");
    const cached = this.#views.get(`${g}/${c}`);
    if (cached) return cached;
    const signer = await this.#storage.get(signerKey(c));
    if (!signer) return null;
    const view = await loadGroupView(this.#env, g, c, signer);
    return view && this.#remember(view);
  }

  /**
   * Joins from a Welcome (bytes or a `CommitOutput` that carries one). The
   * ratchet tree comes from the Welcome or `options.ratchetTree`. Bytes
   * that are not an MLS message are `not_mls_message`; another kind of
   * MLS message is `invalid_wire_format`. `options.handshakeWireFormat`
   * sets how this member frames its proposals and commits (see
   * `GroupView.setHandshakeWireFormat`). `options.resumes` is this
   * member's view of the group the Welcome's group resumes (RFC 9420 §11):
   * a reinitialization of it (after its ReInit commit) or a branch of it,
   * checked as the RFC requires (`invalid_resumption`).
   *
   * @example Joining a group whose delivery service reads handshakes
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const [alice, bob] = [await mls.generateIdentity(), await mls.generateIdentity()];
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const added = await group.add(
   *   await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
   * );
   * const bobGroup = await mls.groupJoin(bob, added, { handshakeWireFormat: "public" });
   * console.log(bobGroup.handshakeWireFormat); // "public"
   * ```
   */
  async groupJoin(
    identity: Identity | string,
    welcome: MessageInput,
    options: {
      ratchetTree?: Uint8Array;
      config?: Partial<GroupConfig>;
      handshakeWireFormat?: "private" | "public";
      resumes?: GroupView;
    } = {},
  ): Promise<GroupView> {
    const o = checkOptions(options);
    const config = groupSettings(this.#groupConfig, o);
    const ratchetTree = ratchetTreeOption(o);
    const resumes = o.resumes === undefined
      ? undefined
      : liveStateOf(o.resumes, "options.resumes").state;
    const msg = decodeMessage(
      messageBytes(welcome, "welcome", "welcome"),
      "welcome",
      [WireFormat.mlsWelcome],
    );
    const { identity: id, signer, cs } = await this.#identity(identity);
    // Which of our key packages is it for?
    const refs = new Set(msg.welcome.secrets.map((s) => toHex(s.newMember)));
    const ours = (await this.#storage.list(keyPackagePrefix(id.clientId)))
      .filter((k) => refs.has(k.slice(k.lastIndexOf("/") + 1)));
    if (ours.length === 0) {
      throw new MlsError(
        "welcome_not_for_us",
        "the Welcome is for none of this client's key packages",
        "welcome",
      );
    }
    const recBytes = (await getBytes(this.#storage, ours[0]))!;
    const rec = keyPackageRecord.decode(recBytes);
    const kpMsg = decodeMessage(rec.keyPackage, "KeyPackageRecord", [
      WireFormat.mlsKeyPackage,
    ]);
    const { state } = await joinResuming(cs, msg.welcome, {
      keyPackage: kpMsg.keyPackage,
      initPrivateKey: rec.initPrivateKey,
      encryptionPrivateKey: rec.encryptionPrivateKey,
      signer,
      ratchetTree,
      psks: this.#env.psks,
      config,
      ...this.#env.validation,
      now: new Date(),
    }, resumes);
    const groupId = toHex(state.context.groupId);
    if (await this.#storage.get(groupKey(groupId, id.clientId))) {
      throw new MlsError(
        "group_exists",
        "this client is already in this group",
      );
    }
    // The key package is used up (unless it is a last-resort one).
    const extra = rec.lastResort ? [] : [{ key: ours[0] }];
    return this.#remember(
      await storeGroupView(this.#env, id.clientId, signer, state, extra),
    );
  }

  /**
   * Recreates a group frozen by a ReInit commit (`GroupView.reinit`, RFC
   * 9420 §11.2) as the ReInit says — its cipher suite, group id and
   * extensions — with `identity` (a client of the new suite, with the
   * same credential as before) and the other members' key packages for
   * the new suite. Returns this member's view of the new group, at epoch
   * 1, and the Welcome; the others join with
   * `groupJoin(identity, welcome, { resumes: theirOldView })`.
   *
   * @example Moving a group from suite 1 to suite 3
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await group.receive(await group.reinit({ cipherSuite: 3 }));
   * const alice3 = await mls.generateIdentity({ cipherSuite: 3 });
   * const { group: moved } = await mls.groupReinit(group, alice3, []);
   * console.log(moved.cipherSuite); // 3
   * ```
   */
  async groupReinit(
    group: GroupView,
    identity: Identity | string,
    keyPackages: KeyPackageInput[],
  ): Promise<ResumedGroup<GroupView>> {
    const old = liveStateOf(group, "group").state;
    const { identity: id, signer, cs } = await this.#identity(identity);
    const created = await reinitOf(
      cs,
      old,
      { publicKey: id.signaturePublicKey, privateKey: signer },
      keyPackages,
    );
    const view = await storeGroupView(
      this.#env,
      id.clientId,
      signer,
      created.state,
    );
    return resumedGroup(created, this.#remember(view));
  }

  /**
   * Joins by external commit (RFC 9420 §12.4.3.2) from a GroupInfo (bytes
   * or a `CommitOutput`). With `resync`, an earlier appearance of this
   * client is removed in the same commit. Send `commit` to the group.
   * `options.handshakeWireFormat` is as for {@link MLS.groupJoin} (the
   * external commit itself is always a PublicMessage).
   *
   * @example Joining from a published GroupInfo
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const [alice, carol] = [await mls.generateIdentity(), await mls.generateIdentity()];
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const { group: carolGroup, commit } = await mls.groupJoinExternal(
   *   carol,
   *   await mls.generateCredential("carol"),
   *   await group.groupInfo({ ratchetTree: true }),
   * );
   * await group.receive(commit); // through the delivery service
   * console.log(carolGroup.epoch === group.epoch); // true
   * ```
   */
  async groupJoinExternal(
    identity: Identity | string,
    credential: CredentialInfo,
    groupInfo: MessageInput,
    options: {
      ratchetTree?: Uint8Array;
      resync?: boolean;
      config?: Partial<GroupConfig>;
      handshakeWireFormat?: "private" | "public";
    } = {},
  ): Promise<ExternalJoinOutput> {
    const o = checkOptions(options);
    const config = groupSettings(this.#groupConfig, o);
    const ratchetTree = ratchetTreeOption(o);
    const resync = optional(o.resync, "options.resync", checkBoolean);
    const wire = wireCredential(credential, "credential");
    const msg = decodeMessage(
      messageBytes(groupInfo, "groupInfo", "groupInfo"),
      "groupInfo",
      [WireFormat.mlsGroupInfo],
    );
    const { identity: id, signer } = await this.#identity(identity);
    const joined = await joinExternal(this.#provider, {
      groupInfo: msg.groupInfo,
      ratchetTree,
      credential: wire,
      signer: { publicKey: id.signaturePublicKey, privateKey: signer },
      removeLeaf: resync ? "auto" : undefined,
      config,
      ...this.#env.validation,
      now: new Date(),
    });
    const groupId = toHex(joined.state.context.groupId);
    const existing = this.#views.get(`${groupId}/${id.clientId}`);
    if (existing) {
      this.#views.delete(`${groupId}/${id.clientId}`);
    }
    const view = await storeGroupView(
      this.#env,
      id.clientId,
      signer,
      joined.state,
      [],
      true,
    );
    return {
      type: "externalJoin",
      group: this.#remember(view),
      commit: encode(mlsMessageCodec, joined.message),
    };
  }

  /**
   * The group id (hex) a group message or GroupInfo belongs to. Welcome
   * and KeyPackage messages name no group in the clear
   * (`invalid_wire_format`).
   *
   * @example Routing a message to its group
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * const message = await group.send("hello");
   * console.log(await mls.getGroupIdFromMessage(message) === group.groupId); // true
   * ```
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * await mls.generateIdentity();
   * await mls.deleteState();
   * console.log((await mls.storage.list("")).length); // 0
   * ```
   */
  getGroupIdFromMessage(message: MessageInput): Promise<string> {
    return settle(() => {
      const msg = decodeMessage(messageBytes(message, "message"), "message", [
        WireFormat.mlsPublicMessage,
        WireFormat.mlsPrivateMessage,
        WireFormat.mlsGroupInfo,
      ]);
      switch (msg.wireFormat) {
        case WireFormat.mlsPublicMessage:
          return toHex(msg.publicMessage.content.groupId);
        case WireFormat.mlsPrivateMessage:
          return toHex(msg.privateMessage.groupId);
        case WireFormat.mlsGroupInfo:
          return toHex(msg.groupInfo.groupContext.groupId);
      }
    });
  }

  /**
   * An external proposal (RFC 9420 §12.1.8) from `identity`, a service the
   * group lists as an external sender (`GroupExtensions.externalSenders`):
   * add a member (`{ add: keyPackage }`) or remove one (`{ remove }`: a
   * leaf index, or a client id found in the GroupInfo's ratchet tree or
   * `options.ratchetTree`). `groupInfo` is the group's current GroupInfo;
   * send the proposal to the group, whose members commit it. An identity
   * not in the list is `invalid_sender`.
   *
   * @example A moderation service removes Bob; Alice's view commits it
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const [alice, bob, bot] = [
   *   await mls.generateIdentity(), await mls.generateIdentity(), await mls.generateIdentity(),
   * ];
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"), {
   *   extensions: { externalSenders: [{ ...bot, credential: await mls.generateCredential("bot") }] },
   * });
   * await group.receive(await group.add(
   *   await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
   * ));
   * const proposal = await mls.externalProposal(bot, await group.groupInfo(), {
   *   remove: bob.clientId,
   * });
   * const r = await group.receive(proposal);
   * if (r.type === "proposal") await group.receive(r.commitOutput!);
   * console.log(group.members.length); // 1
   * ```
   */
  async externalProposal(
    identity: Identity | string,
    groupInfo: MessageInput,
    proposal: ServiceProposal,
    options: { ratchetTree?: Uint8Array } = {},
  ): Promise<Uint8Array> {
    const { identity: id, signer, cs } = await this.#identity(identity);
    return await serviceProposal(
      { cs, publicKey: id.signaturePublicKey, privateKey: signer },
      groupInfo,
      proposal,
      options,
    );
  }

  /**
   * Stores an external pre-shared key (RFC 9420 §8.4) under `id` (bytes,
   * or a string taken as UTF-8), replacing any before it, for commits that
   * inject it (`GroupView.addPsk`) and Welcomes that need it. It is kept
   * in the storage like every secret (encrypted under `EncryptedStorage`)
   * until {@link MLS.deletePsk}, `deleteState` or a new `storePsk`.
   *
   * @example Two members share a secret agreed elsewhere and inject it
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await mls.storePsk("meeting-2026", crypto.getRandomValues(new Uint8Array(32)));
   * await group.receive(await group.addPsk("meeting-2026"));
   * ```
   */
  storePsk(id: string | Uint8Array, secret: Uint8Array): Promise<void> {
    return storePsk(this.#storage, id, secret);
  }

  /**
   * Deletes the external PSK `id`; whether one was stored. Groups that
   * already used it keep their epochs; Welcomes and commits naming it can
   * no longer be processed (`missing_psk`).
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * await mls.storePsk("old", new Uint8Array(32).fill(1));
   * console.log(await mls.deletePsk("old")); // true
   * ```
   */
  deletePsk(id: string | Uint8Array): Promise<boolean> {
    return deletePsk(this.#storage, id);
  }

  /**
   * Deletes everything this instance stored: identities, key packages,
   * groups.
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * const group = await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await mls.deleteState();
   * console.log(await mls.groupGet(group.groupId, alice)); // null
   * ```
   */
  async deleteState(): Promise<void> {
    const keys = await this.#storage.list("");
    for (let i = 0; i < keys.length; i += 100) {
      await this.#storage.batch(keys.slice(i, i + 100).map((key) => ({ key })));
    }
    this.#views.clear();
  }

  /**
   * Signs `content` with an identity's signature key, as RFC 9420 §5.1.2
   * `SignWithLabel(key, label, content)`: the signed bytes are
   * `SignContent { "MLS 1.0 " + label, content }`, so with a label of its
   * own the signature can never pass for one of MLS's. For proofs of
   * possession to a service; verify with `VerifyWithLabel` and the
   * identity's `signaturePublicKey` (its client id). The private key stays
   * in storage. The labels RFC 9420 signs with (§17.6: `FramedContentTBS`,
   * `LeafNodeTBS`, `KeyPackageTBS`, `GroupInfoTBS`) are refused
   * (`invalid_argument`).
   *
   * @example Answer a service's challenge
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const me = await mls.generateIdentity();
   * const challenge = crypto.getRandomValues(new Uint8Array(32));
   * const proof = await mls.signWithIdentity(me, "example login", challenge);
   * console.log(proof.length); // 64 (Ed25519)
   * ```
   */
  async signWithIdentity(
    identity: Identity | string,
    label: string,
    content: Uint8Array,
  ): Promise<Uint8Array> {
    const reserved = [
      "FramedContentTBS",
      "LeafNodeTBS",
      "KeyPackageTBS",
      "GroupInfoTBS",
    ];
    if (typeof label !== "string" || label === "" || reserved.includes(label)) {
      throw new MlsError(
        "invalid_argument",
        "the label must be a non-empty string of the application's own",
        "label",
      );
    }
    if (!(content instanceof Uint8Array)) {
      throw new MlsError(
        "invalid_argument",
        "content must be bytes",
        "content",
      );
    }
    const { signer, cs } = await this.#identity(identity);
    try {
      return await signWithLabel(cs, signer, label, content);
    } catch (e) {
      if (e instanceof MlsError) throw e;
      throw new MlsError("crypto_failure", "signing failed", "identity", {
        cause: e,
      });
    }
  }

  /**
   * Deletes a client and everything of it in storage: its signature key
   * and identity record, its key packages with their private keys, its
   * state of every group (pending commits and ratchets included), and what
   * other modules keep for it there — records whose key ends with its
   * client id, such as the delivery client's inbox cursor. This
   * instance's views of its groups are wiped and become unusable
   * (`group_deleted`). Other clients in the same storage are untouched.
   *
   * The signature key and identity record go in the first batch, so the
   * client is unusable from then on; should a later batch fail, calling
   * again finishes the job. A client that is not stored is no error.
   *
   * What the backing store does with deleted bytes is its own: SQLite (Deno
   * KV) keeps them in free pages. Use `EncryptedStorage` so that it only
   * ever held ciphertext.
   *
   * @example
   * ```ts
   * import { MLS } from "@webmls/mls";
   * const mls = new MLS();
   * const alice = await mls.generateIdentity();
   * await mls.groupCreate(alice, await mls.generateCredential("alice"));
   * await mls.deleteIdentity(alice);
   * console.log((await mls.storage.list("")).length); // 0
   * ```
   */
  async deleteIdentity(identity: Identity | string): Promise<void> {
    const clientId = checkClientId(identity, "identity");
    if (!/^[0-9a-f]+$/.test(clientId)) {
      invalid("identity", "a client id (hex string) or Identity", identity);
    }
    for (const view of [...this.#views.values()]) {
      if (view.clientId !== clientId) continue;
      try {
        await view.deleteState(); // wipes its secrets in memory too
      } catch (e) {
        if (!(e instanceof MlsError && e.code === "group_deleted")) throw e;
      }
    }
    const keys = (await this.#storage.list("")).filter((k) =>
      belongsToClient(k, clientId)
    );
    const first = [signerKey(clientId), identityKey(clientId)];
    const rest = keys.filter((k) => !first.includes(k));
    const batches = [[...first, ...rest.slice(0, 98)]];
    for (let i = 98; i < rest.length; i += 100) {
      batches.push(rest.slice(i, i + 100));
    }
    for (const b of batches) {
      await this.#storage.batch(b.map((key) => ({ key })));
    }
  }
}
