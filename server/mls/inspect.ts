/**
 * What the delivery service reads from MLS bytes: only public fields. It
 * parses messages to refuse malformed input before storage, validates key
 * packages (signature, suite, lifetime), and verifies GroupInfos (signature
 * by a leaf of the tree they carry, tree hash) to learn a group's members.
 * It never holds a key that could decrypt anything.
 *
 * @module
 */

import { Reader } from "../../src/codec/reader.ts";
import { MlsError } from "../../src/errors.ts";
import {
  type MLSMessage,
  mlsMessageCodec,
} from "../../src/framing/mls_message.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import {
  isLastResort,
  keyPackageRef,
  validateKeyPackage,
} from "../../src/group/key_package.ts";
import {
  ratchetTreeFromExtensions,
  verifyGroupInfo,
} from "../../src/group/group_info.ts";
import type { GroupInfo } from "../../src/messages/group_info.ts";
import type { KeyPackage } from "../../src/messages/key_package.ts";
import type { Welcome } from "../../src/messages/welcome.ts";
import { RatchetTree } from "../../src/tree/ratchet_tree.ts";
import { bytesEqual, toHex } from "../../src/util/bytes.ts";
import type { CryptoProvider, SuiteCrypto } from "../../providers/provider.ts";
import { ApiError, badRequest } from "../errors.ts";
import { MAX_SIGNATURE_KEY_BYTES } from "../shared/limits.ts";

/** One decoded message and its exact bytes. */
export interface Parsed {
  /** The decoded message. */
  readonly msg: MLSMessage;
  /** The bytes it was decoded from (stored and forwarded as they are). */
  readonly bytes: Uint8Array;
}

function malformed(e: unknown): ApiError {
  const detail = e instanceof MlsError
    ? `${e.code}${e.field ? ` at ${e.field}` : ""}`
    : "undecodable";
  return badRequest("malformed_message", `not a valid MLSMessage: ${detail}`);
}

/** Decodes a body holding one or more concatenated MLSMessages. */
export function parseMessages(body: Uint8Array, max = 3): Parsed[] {
  const out: Parsed[] = [];
  const r = new Reader(body);
  try {
    while (r.remaining > 0) {
      const start = r.position;
      const msg = mlsMessageCodec.decode(r, "MLSMessage");
      if (out.length === max) {
        throw badRequest("unexpected_message", `at most ${max} messages`);
      }
      out.push({ msg, bytes: body.slice(start, r.position) });
    }
  } catch (e) {
    throw e instanceof ApiError ? e : malformed(e);
  }
  if (out.length === 0) throw badRequest("malformed_message", "empty body");
  return out;
}

async function suiteFor(
  provider: CryptoProvider,
  allowed: readonly number[],
  id: number,
): Promise<SuiteCrypto> {
  if (!allowed.includes(id)) {
    throw badRequest(
      "unsupported_cipher_suite",
      `cipher suite ${id} is not accepted here`,
    );
  }
  try {
    return await provider.suite(id);
  } catch {
    throw badRequest("unsupported_cipher_suite", `cipher suite ${id}`);
  }
}

/** A validated key package. */
export interface KeyPackageFacts {
  /** KeyPackageRef, hex. */
  readonly ref: string;
  /** The owner: hex of the leaf's signature key (= the MLS client id). */
  readonly owner: string;
  /** Carries `last_resort`. */
  readonly lastResort: boolean;
  /** Lifetime end, seconds. */
  readonly notAfter: number;
  /** The bytes (one KeyPackage MLSMessage). */
  readonly bytes: Uint8Array;
}

/**
 * Validates a KeyPackage MLSMessage: decodes, checks the suite is accepted,
 * the signatures, the lifetime at `now`.
 */
export async function inspectKeyPackage(
  p: Parsed,
  provider: CryptoProvider,
  suites: readonly number[],
  now: Date,
): Promise<KeyPackageFacts> {
  if (p.msg.wireFormat !== WireFormat.mlsKeyPackage) {
    throw badRequest("unexpected_message", "expected a KeyPackage");
  }
  const kp: KeyPackage = p.msg.keyPackage;
  const cs = await suiteFor(provider, suites, kp.cipherSuite);
  if (kp.leafNode.signatureKey.length > MAX_SIGNATURE_KEY_BYTES) {
    // An ML-DSA key: its hex, the client id, is too long for ids here.
    throw badRequest(
      "unsupported_cipher_suite",
      `signature keys over ${MAX_SIGNATURE_KEY_BYTES} bytes (ML-DSA) make client ids too long for this service`,
    );
  }
  try {
    await validateKeyPackage(cs, kp, { now });
  } catch (e) {
    if (e instanceof MlsError && e.code === "invalid_lifetime") {
      throw badRequest("expired_key_package", e.message);
    }
    throw badRequest(
      "invalid_key_package",
      e instanceof MlsError ? `${e.code}: ${e.message}` : "invalid",
    );
  }
  return {
    ref: toHex(await keyPackageRef(cs, kp)),
    owner: toHex(kp.leafNode.signatureKey),
    lastResort: isLastResort(kp),
    notAfter: "lifetime" in kp.leafNode
      ? Number(kp.leafNode.lifetime.notAfter)
      : 0,
    bytes: p.bytes,
  };
}

/** What a verified GroupInfo says. */
export interface GroupInfoFacts {
  /** Group id, hex. */
  readonly groupId: string;
  /** Its epoch. */
  readonly epoch: number;
  /** Client ids (hex signature keys) of the tree's leaves. */
  readonly members: string[];
  /** The signer's client id. */
  readonly signer: string;
  /** The signer's leaf index. */
  readonly signerLeaf: number;
}

/**
 * Verifies a GroupInfo: it carries the ratchet tree, the tree hashes to
 * the GroupContext's `tree_hash`, and the signature verifies under the
 * signer leaf's key. The members are then the tree's leaves.
 */
export async function inspectGroupInfo(
  gi: GroupInfo,
  provider: CryptoProvider,
  suites: readonly number[],
): Promise<GroupInfoFacts> {
  const ctx = gi.groupContext;
  const cs = await suiteFor(provider, suites, ctx.cipherSuite);
  let tree: RatchetTree;
  try {
    const nodes = ratchetTreeFromExtensions(gi.extensions);
    if (!nodes) {
      throw badRequest(
        "ratchet_tree_required",
        "the GroupInfo must carry the ratchet_tree extension",
      );
    }
    tree = RatchetTree.fromNodes(nodes);
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw badRequest("invalid_group_info", "bad ratchet tree");
  }
  if (!bytesEqual(await tree.treeHash(cs), ctx.treeHash)) {
    throw badRequest("invalid_group_info", "tree hash mismatch");
  }
  const signer = tree.getLeaf(gi.signer);
  if (!signer) throw badRequest("invalid_group_info", "no signer leaf");
  try {
    await verifyGroupInfo(cs, gi, signer.signatureKey);
  } catch {
    throw badRequest("invalid_group_info", "bad GroupInfo signature");
  }
  const members: string[] = [];
  for (let i = 0; i < tree.leafCount; i++) {
    const leaf = tree.getLeaf(i);
    if (leaf) members.push(toHex(leaf.signatureKey));
  }
  if (ctx.epoch > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw badRequest("invalid_group_info", "epoch out of range");
  }
  return {
    groupId: toHex(ctx.groupId),
    epoch: Number(ctx.epoch),
    members,
    signer: toHex(signer.signatureKey),
    signerLeaf: gi.signer,
  };
}

/** The KeyPackageRefs (hex) a Welcome is encrypted to. */
export function welcomeRefs(w: Welcome): string[] {
  return w.secrets.map((s) => toHex(s.newMember));
}
