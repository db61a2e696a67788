/**
 * `MLS`: the entry point of the Web API (the explainer's `new MLS()`):
 * identities, credentials, key packages, and creating, joining and loading
 * groups. All state lives in the configured {@link Storage}.
 *
 * @module
 */

import { MAX_DELTA_RECORDS } from "./persist.ts";
import { encode } from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import { mlsMessageCodec } from "../framing/mls_message.ts";
import { WireFormat } from "../framing/wire_format.ts";
import type { GroupConfig } from "../group/config.ts";
import { createGroup } from "../group/create.ts";
import { joinExternal } from "../group/external_join.ts";
import { generateKeyPackage, keyPackageRef } from "../group/key_package.ts";
import type { PskLookup } from "../group/psks.ts";
import { joinFromWelcome } from "../group/welcome.ts";
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
  clientIdFrom,
  credentialValidator,
  decodeMessage,
  messageBytes,
  type MessageInput,
  wireCredential,
} from "./convert.ts";
import { GroupView, type ViewEnvironment } from "./group_view.ts";
import {
  groupKey,
  identityKey,
  identityRecord,
  keyPackageKey,
  keyPackagePrefix,
  keyPackageRecord,
  signerKey,
} from "./records.ts";
import { MemoryStorage } from "./storage/memory.ts";
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
  /** Cipher suite for new identities (default 1: X25519, AES-128-GCM, Ed25519). */
  cipherSuite?: number;
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
  /** External PSKs, by id. */
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

function hexOrBytes(id: string | Uint8Array): string {
  return typeof id === "string" ? toHex(fromHex(id)) : toHex(id);
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
  #storage: Storage;
  #provider: CryptoProvider;
  #suite: number;
  #env: ViewEnvironment;
  #config: Partial<GroupConfig>;
  #views = new Map<string, GroupView>();

  /** Creates an MLS client store; every option has a default. */
  constructor(options: MLSOptions = {}) {
    this.#storage = options.storage ?? new MemoryStorage();
    this.#provider = options.provider ?? defaultProvider();
    this.#suite = options.cipherSuite ?? 1;
    this.#config = options.groupConfig ?? {};
    const limit = options.ratchetRecordLimit ?? MAX_DELTA_RECORDS;
    if (!Number.isSafeInteger(limit) || limit < 1) {
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
    this.#env = {
      storage: this.#storage,
      provider: this.#provider,
      authorize: options.authorize,
      autoCommit: options.autoCommit ?? true,
      psks: options.psks,
      ratchetRecordLimit: limit,
      validation: {
        maxLifetime,
        validateCredential: options.validateCredential &&
          credentialValidator(options.validateCredential),
      },
      forget: (g, c) => this.#views.delete(`${g}/${c}`),
    };
  }

  /** The storage in use. */
  get storage(): Storage {
    return this.#storage;
  }

  /**
   * Creates a client: a signature key pair kept in storage (as a
   * non-extractable `CryptoKey` where the storage and runtime allow it).
   */
  async generateIdentity(
    options: { cipherSuite?: number } = {},
  ): Promise<Identity> {
    const cs = await this.#provider.suite(options.cipherSuite ?? this.#suite);
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

  async #identity(who: Identity | string): Promise<LoadedIdentity> {
    const clientId = clientIdFrom(who);
    const rec = await getBytes(this.#storage, identityKey(clientId));
    const signer = await this.#storage.get(signerKey(clientId));
    if (!rec || !signer) {
      throw new MlsError(
        "unknown_identity",
        "no such identity in storage",
        "identity",
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
   */
  generateCredential(
    name: string | Uint8Array | Identity,
  ): Promise<BasicCredential> {
    const identity = typeof name === "string"
      ? utf8Encode(name)
      : name instanceof Uint8Array
      ? name.slice()
      : utf8Encode(clientIdFrom(name));
    const text = typeof name === "string"
      ? name
      : name instanceof Uint8Array
      ? undefined
      : name.clientId;
    return Promise.resolve({
      type: "credential",
      credentialType: "basic",
      identity,
      name: text,
    });
  }

  /** A signed KeyPackage for `identity`; its private keys stay in storage. */
  async generateKeyPackage(
    identity: Identity | string,
    credential: CredentialInfo,
    options: { lastResort?: boolean } = {},
  ): Promise<KeyPackageOutput> {
    const { identity: id, signer, cs } = await this.#identity(identity);
    const { keyPackage, privateKeys } = await generateKeyPackage(
      cs,
      wireCredential(credential),
      { publicKey: id.signaturePublicKey, privateKey: signer },
      { lastResort: options.lastResort },
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
        lastResort: options.lastResort ? 1 : 0,
      }),
    }]);
    return { type: "keyPackage", bytes, ref, clientId: id.clientId };
  }

  #remember(view: GroupView): GroupView {
    this.#views.set(`${view.groupId}/${view.clientId}`, view);
    return view;
  }

  /** Creates a group with `identity` as its only member. */
  async groupCreate(
    identity: Identity | string,
    credential: CredentialInfo,
    options: { groupId?: string | Uint8Array; config?: Partial<GroupConfig> } =
      {},
  ): Promise<GroupView> {
    const { identity: id, signer, cs } = await this.#identity(identity);
    const state = await createGroup(
      cs,
      wireCredential(credential),
      { publicKey: id.signaturePublicKey, privateKey: signer },
      {
        groupId: options.groupId === undefined
          ? undefined
          : fromHex(hexOrBytes(options.groupId)),
        config: { ...this.#config, ...options.config },
      },
    );
    const groupId = toHex(state.context.groupId);
    if (await this.#storage.get(groupKey(groupId, id.clientId))) {
      throw new MlsError("group_exists", "this client already has this group");
    }
    return this.#remember(
      await GroupView.store(this.#env, id.clientId, signer, state),
    );
  }

  /** The stored view of a group for a client, or `null`. */
  async groupGet(
    groupId: string | Uint8Array,
    clientId: string | Identity,
  ): Promise<GroupView | null> {
    const g = hexOrBytes(groupId);
    const c = clientIdFrom(clientId);
    const cached = this.#views.get(`${g}/${c}`);
    if (cached) return cached;
    const signer = await this.#storage.get(signerKey(c));
    if (!signer) return null;
    const view = await GroupView.load(this.#env, g, c, signer);
    return view && this.#remember(view);
  }

  /**
   * Joins from a Welcome (bytes or a `CommitOutput` that carries one). The
   * ratchet tree comes from the Welcome or `options.ratchetTree`.
   */
  async groupJoin(
    identity: Identity | string,
    welcome: MessageInput,
    options: { ratchetTree?: Uint8Array; config?: Partial<GroupConfig> } = {},
  ): Promise<GroupView> {
    const { identity: id, signer, cs } = await this.#identity(identity);
    const msg = decodeMessage(messageBytes(welcome, "welcome"), "welcome");
    if (msg.wireFormat !== WireFormat.mlsWelcome) {
      throw new MlsError(
        "invalid_wire_format",
        "not a Welcome message",
        "welcome",
      );
    }
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
    const kpMsg = decodeMessage(rec.keyPackage, "keyPackage");
    if (kpMsg.wireFormat !== WireFormat.mlsKeyPackage) {
      throw new MlsError("invalid_value", "stored key package is corrupt");
    }
    const { state } = await joinFromWelcome(cs, msg.welcome, {
      keyPackage: kpMsg.keyPackage,
      initPrivateKey: rec.initPrivateKey,
      encryptionPrivateKey: rec.encryptionPrivateKey,
      signer,
      ratchetTree: options.ratchetTree
        ? decode(ratchetTreeCodec, options.ratchetTree, "ratchetTree")
        : undefined,
      psks: this.#env.psks,
      config: { ...this.#config, ...options.config },
      ...this.#env.validation,
      now: new Date(),
    });
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
      await GroupView.store(this.#env, id.clientId, signer, state, extra),
    );
  }

  /**
   * Joins by external commit (RFC 9420 §12.4.3.2) from a GroupInfo (bytes
   * or a `CommitOutput`). With `resync`, an earlier appearance of this
   * client is removed in the same commit. Send `commit` to the group.
   */
  async groupJoinExternal(
    identity: Identity | string,
    credential: CredentialInfo,
    groupInfo: MessageInput,
    options: {
      ratchetTree?: Uint8Array;
      resync?: boolean;
      config?: Partial<GroupConfig>;
    } = {},
  ): Promise<ExternalJoinOutput> {
    const { identity: id, signer } = await this.#identity(identity);
    const msg = decodeMessage(
      messageBytes(groupInfo, "groupInfo"),
      "groupInfo",
    );
    if (msg.wireFormat !== WireFormat.mlsGroupInfo) {
      throw new MlsError(
        "invalid_wire_format",
        "not a GroupInfo message",
        "groupInfo",
      );
    }
    const joined = await joinExternal(this.#provider, {
      groupInfo: msg.groupInfo,
      ratchetTree: options.ratchetTree
        ? decode(ratchetTreeCodec, options.ratchetTree, "ratchetTree")
        : undefined,
      credential: wireCredential(credential),
      signer: { publicKey: id.signaturePublicKey, privateKey: signer },
      removeLeaf: options.resync ? "auto" : undefined,
      config: { ...this.#config, ...options.config },
      ...this.#env.validation,
      now: new Date(),
    });
    const groupId = toHex(joined.state.context.groupId);
    const existing = this.#views.get(`${groupId}/${id.clientId}`);
    if (existing) {
      this.#views.delete(`${groupId}/${id.clientId}`);
    }
    const view = await GroupView.store(
      this.#env,
      id.clientId,
      signer,
      joined.state,
    );
    return {
      type: "externalJoin",
      group: this.#remember(view),
      commit: encode(mlsMessageCodec, joined.message),
    };
  }

  /** The group id (hex) a group message or GroupInfo belongs to. */
  getGroupIdFromMessage(message: MessageInput): Promise<string> {
    const msg = decodeMessage(messageBytes(message), "message");
    switch (msg.wireFormat) {
      case WireFormat.mlsPublicMessage:
        return Promise.resolve(toHex(msg.publicMessage.content.groupId));
      case WireFormat.mlsPrivateMessage:
        return Promise.resolve(toHex(msg.privateMessage.groupId));
      case WireFormat.mlsGroupInfo:
        return Promise.resolve(toHex(msg.groupInfo.groupContext.groupId));
    }
    throw new MlsError(
      "invalid_wire_format",
      "Welcome and KeyPackage messages name no group in the clear",
      "message",
    );
  }

  /** Deletes everything this instance stored: identities, key packages, groups. */
  async deleteState(): Promise<void> {
    const keys = await this.#storage.list("");
    for (let i = 0; i < keys.length; i += 100) {
      await this.#storage.batch(keys.slice(i, i + 100).map((key) => ({ key })));
    }
    this.#views.clear();
  }
}
