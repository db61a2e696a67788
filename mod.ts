/**
 * webmls: the Web API for Messaging Layer Security (RFC 9420).
 *
 * Create an {@link MLS} instance, generate identities, credentials and key
 * packages, and work with groups through {@link GroupView}s: add and remove
 * members, send and receive messages, export secrets. State is kept in a
 * {@link Storage} (memory by default, Deno KV, or IndexedDB in browsers).
 *
 * @example The explainer's flow
 * ```ts
 * import { MLS } from "@webmls/mls";
 *
 * const mls = new MLS();
 * const alice = await mls.generateIdentity();
 * const bob = await mls.generateIdentity();
 * const aliceGroup = await mls.groupCreate(alice, await mls.generateCredential("alice"));
 * const bobKeyPackage = await mls.generateKeyPackage(bob, await mls.generateCredential("bob"));
 *
 * const added = await aliceGroup.add(bobKeyPackage);
 * await aliceGroup.receive(added);          // our own commit, back from the group
 * const bobGroup = await mls.groupJoin(bob, added);
 *
 * const received = await bobGroup.receive(await aliceGroup.send("hello"));
 * if (received.type === "application") console.log(received.text());
 * ```
 *
 * @module
 */

export {
  DEFAULT_MAX_LIFETIME,
  type ExternalJoinOutput,
  MLS,
  type MLSOptions,
} from "./src/api/mls.ts";
export { GroupView, type KeyPackageInput } from "./src/api/group_view.ts";
export type { GroupCreateOptions } from "./src/api/group_create.ts";
export type { ExportKeyAlgorithm } from "./src/api/export_key.ts";
export type { ServiceProposal } from "./src/api/service_proposal.ts";
export type {
  BranchOptions,
  ReinitOptions,
  ResumedGroup,
} from "./src/api/resumption.ts";
export { GroupReader } from "./src/api/group_reader.ts";
export { GroupAdmin } from "./src/api/group_admin.ts";
export type { MemberByIdentity, MemberRef } from "./src/api/member_ref.ts";
export type { MessageInput } from "./src/api/message_input.ts";
export type {
  ExtensionInput,
  GenerateKeyPackageOptions,
  KeyPackageCapabilities,
  KeyPackageLifetime,
} from "./src/api/key_package_options.ts";
export type {
  ApplicationReceived,
  AuthorizeHook,
  AuthorizeRequest,
  BasicCredential,
  CommitOutput,
  CommitReceived,
  CredentialHook,
  CredentialInfo,
  CredentialRequest,
  DroppedProposal,
  ExportConsumerInfo,
  ExportGrantInfo,
  ExternalSenderInfo,
  GroupDetails,
  GroupExtensions,
  Identity,
  KeyPackageOutput,
  Member,
  ProposalInfo,
  ProposalOutput,
  ProposalReceived,
  Received,
  RemovedReceived,
  RequiredCapabilitiesInfo,
  SenderInfo,
  X509Credential,
} from "./src/api/types.ts";
export type {
  BatchOptions,
  Storage,
  StorageCondition,
  StorageValue,
  StorageWrite,
} from "./src/api/storage/storage.ts";
export { MemoryStorage } from "./src/api/storage/memory.ts";
export {
  DenoKvStorage,
  type DenoKvStorageOptions,
} from "./src/api/storage/deno_kv.ts";
export {
  IndexedDbStorage,
  type IndexedDbStorageOptions,
} from "./src/api/storage/indexeddb.ts";
export {
  EncryptedStorage,
  type EncryptedStorageOptions,
} from "./src/api/storage/encrypted.ts";
export {
  type AppKeyOptions,
  deleteAppKey,
  openAppKey,
} from "./src/api/storage/app_key.ts";
export type { GroupConfig } from "./src/group/config.ts";
export type { PskLookup } from "./src/group/psks.ts";
export type { GroupStatus } from "./src/group/state.ts";
export type {
  ExternalPSKFields,
  PreSharedKeyID,
  PSKType,
  ResumptionPSKFields,
  ResumptionPSKUsage,
} from "./src/messages/psk.ts";
export type { PaddingPolicy } from "./src/framing/private_content.ts";
export { MlsError, MlsErrorCode } from "./src/errors.ts";
export {
  type CipherSuiteId,
  createProvider,
  type CryptoProvider,
  defaultProvider,
  type HpkeExported,
  type HpkeKeyPair,
  type HpkeRecipient,
  type HpkeSealed,
  type ProviderOptions,
  type SignatureKeyPair,
  type SignaturePrivateKey,
  type SuiteCrypto,
} from "./providers/mod.ts";
export {
  CIPHER_SUITES,
  type CipherSuiteInfo,
} from "./src/crypto/cipher_suites.ts";
export {
  CODE_POINTS,
  type CodePoints,
  PQ_SUITES,
  type PqSuiteParams,
  suiteTable,
} from "./src/crypto/pq_suites.ts";
