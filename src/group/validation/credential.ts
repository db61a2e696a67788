/**
 * Credential validation (RFC 9420 §5.3.1): every credential that enters the
 * group is shown to the application's Authentication Service, and a
 * credential that replaces another must be an acceptable successor. The
 * default accepts new credentials and refuses any change of identity.
 *
 * @module
 */

import { decode } from "../../codec/codec.ts";
import { MlsError, type MlsErrorCode } from "../../errors.ts";
import { type Credential, CredentialType } from "../../messages/credential.ts";
import {
  type Extension,
  ExtensionType,
  findExtension,
} from "../../messages/extension.ts";
import { externalSendersCodec } from "../../messages/external_senders.ts";
import { bytesEqual } from "../../util/bytes.ts";
import { violation } from "../../util/rule.ts";

/**
 * Why a credential is being validated (§5.3.1 lists the events):
 * - `add`: the KeyPackage of an Add, received or about to be committed;
 * - `update`: the leaf of an Update proposal (`previous` is the sender's);
 * - `commit`: a committer's UpdatePath leaf (`previous` is its current one);
 * - `external_commit`: an external joiner's leaf; `previous` is the leaf it
 *   removes (a resync, §12.2), absent for a plain join;
 * - `join`: each member's leaf in the tree a joiner receives;
 * - `external_sender`: an entry of an `external_senders` extension.
 */
export type CredentialEvent =
  | "add"
  | "update"
  | "commit"
  | "external_commit"
  | "join"
  | "external_sender";

/** One credential to validate. */
export interface CredentialCheck {
  /** Where it appears. */
  event: CredentialEvent;
  /** The credential. */
  credential: Credential;
  /** The signature key it vouches for. */
  signatureKey: Uint8Array;
  /** The credential it replaces, when it replaces one. */
  previous?: Credential;
  /** The group. */
  groupId: Uint8Array;
}

/**
 * The application's Authentication Service: whether a credential is valid
 * and, when it replaces `previous`, a valid successor of it.
 */
export type CredentialValidator = (
  check: CredentialCheck,
) => boolean | Promise<boolean>;

/**
 * Whether two credentials present the same identity: same type and, for a
 * basic credential, the same identity bytes; for X.509, the same
 * end-entity certificate (webmls does not parse certificates: a renewed
 * certificate needs the application's validator).
 */
export function sameIdentity(a: Credential, b: Credential): boolean {
  if (
    a.credentialType === CredentialType.basic &&
    b.credentialType === CredentialType.basic
  ) {
    return bytesEqual(a.identity, b.identity);
  }
  if (
    a.credentialType === CredentialType.x509 &&
    b.credentialType === CredentialType.x509
  ) {
    const x = a.certificates[0], y = b.certificates[0];
    return x !== undefined && y !== undefined &&
      bytesEqual(x.certData, y.certData);
  }
  return false;
}

/**
 * The default: a new credential is accepted (the application has not said
 * otherwise); a replacing one only with the same identity
 * ({@link sameIdentity}). So a member cannot take another's name, and an
 * outsider's external commit can remove only its own old leaf.
 */
export const defaultCredentialValidator: CredentialValidator = (c) =>
  c.previous === undefined || sameIdentity(c.previous, c.credential);

/**
 * Runs `validator` on `check`; a refusal (or a validator that throws) is
 * `MlsError(code)` citing `section`.
 */
export async function checkCredential(
  validator: CredentialValidator,
  check: CredentialCheck,
  field: string,
  section = "§5.3.1",
  code: MlsErrorCode = "invalid_credential",
): Promise<void> {
  let ok: boolean;
  try {
    ok = await validator(check);
  } catch (e) {
    if (e instanceof MlsError) throw e;
    throw new MlsError(code, "the credential validator failed", field, {
      cause: e,
    });
  }
  if (ok !== true) {
    throw violation(
      section,
      code,
      check.previous
        ? `the application refused this credential as a successor (${check.event})`
        : `the application refused this credential (${check.event})`,
      field,
    );
  }
}

/**
 * §5.3.1: "When an external_senders extension is added to the group", or
 * updated, or met by a joiner, each sender's credential is validated.
 */
export async function checkExternalSenders(
  validator: CredentialValidator,
  extensions: readonly Extension[],
  groupId: Uint8Array,
  field: string,
): Promise<void> {
  const ext = findExtension(extensions, ExtensionType.externalSenders);
  if (!ext) return;
  const senders = decode(
    externalSendersCodec,
    ext.extensionData,
    "external_senders",
  );
  for (const s of senders) {
    await checkCredential(validator, {
      event: "external_sender",
      credential: s.credential,
      signatureKey: s.signatureKey,
      groupId,
    }, field);
  }
}
