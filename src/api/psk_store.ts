/**
 * External pre-shared keys (RFC 9420 §8.4) kept in the `MLS` instance's
 * storage by id (`psk/<hex id>`): stored as secrets (encrypted at rest
 * under `EncryptedStorage`, like every value), found by the commits and
 * Welcomes that name them, deleted on request. The application's own
 * `MLSOptions.psks` lookup is asked first.
 *
 * @module
 */

import type { PskLookup } from "../group/psks.ts";
import { type Proposal, ProposalType } from "../messages/proposal.ts";
import { PSKType } from "../messages/psk.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { toHex } from "../util/bytes.ts";
import { checkBytes, checkTextOrBytes, invalid } from "./args.ts";
import { pskKey } from "./records.ts";
import { getBytes, type Storage } from "./storage/storage.ts";

/** A PSK id: bytes, or a string taken as UTF-8. */
function pskIdOf(id: unknown, field: string): Uint8Array {
  const bytes = checkTextOrBytes(id, field);
  if (bytes.length === 0) invalid(field, "a non-empty id", id);
  return bytes;
}

/**
 * Stores the external PSK `secret` under `id`, replacing any before it.
 *
 * @example
 * ```ts ignore
 * await storePsk(storage, "backup-2026", secret);
 * ```
 */
export async function storePsk(
  storage: Storage,
  id: unknown,
  secret: unknown,
): Promise<void> {
  const key = pskKey(toHex(pskIdOf(id, "id")));
  const value = checkBytes(secret, "secret");
  if (value.length === 0) invalid("secret", "non-empty bytes", secret);
  await storage.batch([{ key, value: value.slice() }]);
}

/**
 * Deletes the external PSK `id`; whether it was stored.
 *
 * @example
 * ```ts ignore
 * await deletePsk(storage, "backup-2026");
 * ```
 */
export async function deletePsk(
  storage: Storage,
  id: unknown,
): Promise<boolean> {
  const key = pskKey(toHex(pskIdOf(id, "id")));
  if (await storage.get(key) === undefined) return false;
  await storage.batch([{ key }]);
  return true;
}

/**
 * The PSK lookup of a view or join: `first` (the application's), then the
 * external PSKs stored in `storage`.
 *
 * @example
 * ```ts ignore
 * const psks = pskLookup(storage, options.psks);
 * ```
 */
export function pskLookup(storage: Storage, first?: PskLookup): PskLookup {
  return async (id) => {
    const given = await first?.(id);
    if (given) return given;
    if (id.pskType !== PSKType.external) return undefined;
    return await getBytes(storage, pskKey(toHex(id.pskId)));
  };
}

/**
 * A PreSharedKey proposal (§12.1.4) for the external PSK `id`, with a
 * fresh `KDF.Nh`-byte nonce (§8.4). That the PSK is known is checked when
 * the proposal is committed (`missing_psk`).
 *
 * @example
 * ```ts ignore
 * await commitOwn(live, env, { proposals: [externalPskProposal(state.cs, "backup")] });
 * ```
 */
export function externalPskProposal(cs: SuiteCrypto, id: unknown): Proposal {
  return {
    proposalType: ProposalType.psk,
    psk: {
      pskType: PSKType.external,
      pskId: pskIdOf(id, "id").slice(),
      pskNonce: cs.randomBytes(cs.hashLength),
    },
  };
}
