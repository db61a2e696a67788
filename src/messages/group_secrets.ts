/**
 * `GroupSecrets` and `PathSecret` (RFC 9420 §12.4.3.1): the plaintext a
 * Welcome encrypts to each new member.
 *
 * @module
 */

import {
  type Codec,
  opaque,
  optional,
  struct,
  vector,
} from "../codec/codec.ts";
import { type PreSharedKeyID, preSharedKeyIDCodec } from "./psk.ts";

/** `PathSecret` (§12.4.3.1). */
export interface PathSecret {
  /** `opaque path_secret<V>` */
  pathSecret: Uint8Array;
}

/** `PathSecret` */
export const pathSecretCodec: Codec<PathSecret> = struct<PathSecret>({
  pathSecret: opaque,
});

/** `GroupSecrets` (§12.4.3.1). */
export interface GroupSecrets {
  /** `opaque joiner_secret<V>` */
  joinerSecret: Uint8Array;
  /** `optional<PathSecret> path_secret` */
  pathSecret: PathSecret | undefined;
  /** `PreSharedKeyID psks<V>` */
  psks: PreSharedKeyID[];
}

/** `GroupSecrets` */
export const groupSecretsCodec: Codec<GroupSecrets> = struct<GroupSecrets>({
  joinerSecret: opaque,
  pathSecret: optional(pathSecretCodec),
  psks: vector(preSharedKeyIDCodec),
});
