/**
 * Reading the MLS messages the Web API is given: raw `MLSMessage` bytes or
 * an output object that wraps them, checked to be of the kind the call
 * takes before the whole message is decoded.
 *
 * @module
 */

import { decode } from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import { type MLSMessage, mlsMessageCodec } from "../framing/mls_message.ts";
import { WireFormat } from "../framing/wire_format.ts";
import { ProtocolVersion } from "../messages/protocol_version.ts";
import { checkBytes, invalid } from "./args.ts";
import type {
  CommitOutput,
  KeyPackageOutput,
  ProposalOutput,
} from "./types.ts";

/** Message inputs: raw MLSMessage bytes or an output that wraps them. */
export type MessageInput =
  | Uint8Array
  | CommitOutput
  | ProposalOutput
  | KeyPackageOutput;

const KINDS: Record<number, string> = {
  [WireFormat.mlsPublicMessage]: "a PublicMessage",
  [WireFormat.mlsPrivateMessage]: "a PrivateMessage",
  [WireFormat.mlsWelcome]: "a Welcome",
  [WireFormat.mlsGroupInfo]: "a GroupInfo",
  [WireFormat.mlsKeyPackage]: "a KeyPackage",
};

/** "a Welcome", "a PublicMessage or a PrivateMessage", "wire format 9". */
function kind(wireFormat: number): string {
  return KINDS[wireFormat] ?? `wire format ${wireFormat}`;
}

/**
 * The bytes of a message input, `field` naming the argument; `which` picks
 * the field of a `CommitOutput` (its commit, welcome or GroupInfo).
 */
export function messageBytes(
  input: unknown,
  field: string,
  which: "commit" | "welcome" | "groupInfo" = "commit",
): Uint8Array {
  if (input instanceof Uint8Array) return input;
  const o = input as Partial<Record<string, unknown>> | null;
  switch (typeof o === "object" && o !== null ? o.type : undefined) {
    case "commit": {
      if (o![which] === undefined) {
        throw new MlsError(
          "invalid_argument",
          `this CommitOutput has no ${which}`,
          field,
        );
      }
      return checkBytes(o![which], `${field}.${which}`);
    }
    case "proposal":
      return checkBytes(o!.proposal, `${field}.proposal`);
    case "keyPackage":
      return checkBytes(o!.bytes, `${field}.bytes`);
  }
  return invalid(
    field,
    "MLSMessage bytes or a CommitOutput, ProposalOutput or KeyPackageOutput",
    input,
  );
}

/** The `MLSMessage` of one of the wire formats `W`. */
export type MessageOf<W extends WireFormat> = Extract<
  MLSMessage,
  { wireFormat: W }
>;

/**
 * Decodes an MLSMessage (RFC 9420 §6) that must be of one of the
 * `expected` wire formats, `field` naming the argument. The header is
 * checked first: a `version` other than mls10 is `not_mls_message` (the
 * bytes are not an MLS message at all: random bytes, another protocol),
 * a wire format the call does not take is `invalid_wire_format` (a
 * KeyPackage given to `receive()`, a commit given to `groupJoin()`).
 * Anything else malformed is a decoding error naming the field.
 */
export function decodeMessage<W extends WireFormat>(
  bytes: Uint8Array,
  field: string,
  expected: readonly W[],
): MessageOf<W> {
  checkBytes(bytes, field);
  if (bytes.length >= 2) {
    const version = (bytes[0] << 8) | bytes[1];
    if (version !== ProtocolVersion.mls10) {
      throw new MlsError(
        "not_mls_message",
        `not an MLS message: its first field, the protocol version, is ${version}, not mls10 (1)`,
        `${field}.version`,
      );
    }
  }
  if (bytes.length >= 4) {
    const wireFormat = (bytes[2] << 8) | bytes[3];
    if (!(expected as readonly number[]).includes(wireFormat)) {
      throw new MlsError(
        "invalid_wire_format",
        `expected ${expected.map(kind).join(" or ")}, got ${kind(wireFormat)}`,
        `${field}.wireFormat`,
      );
    }
  }
  return decode(mlsMessageCodec, bytes, field) as MessageOf<W>;
}
