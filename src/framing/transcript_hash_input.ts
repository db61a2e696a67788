/**
 * The transcript hash inputs (RFC 9420 §8.2).
 *
 * @module
 */

import type { Codec } from "../codec/codec.ts";
import { opaque, struct } from "../codec/codec.ts";
import type { Reader } from "../codec/reader.ts";
import type { Writer } from "../codec/writer.ts";
import { MlsError } from "../errors.ts";
import { ContentType } from "./content_type.ts";
import { type FramedContent, framedContentCodec } from "./framed_content.ts";
import { type WireFormat, wireFormatCodec } from "./wire_format.ts";

/** `ConfirmedTranscriptHashInput` (§8.2). */
export interface ConfirmedTranscriptHashInput {
  /** `WireFormat wire_format` */
  wireFormat: WireFormat;
  /** `FramedContent content`, whose content type is `commit` */
  content: FramedContent;
  /** `opaque signature<V>` */
  signature: Uint8Array;
}

function checkCommit(content: FramedContent, f: string): void {
  if (content.contentType !== ContentType.commit) {
    throw new MlsError(
      "wrong_content_type",
      "the confirmed transcript covers commits only",
      f,
    );
  }
}

/** `ConfirmedTranscriptHashInput`; non-commit content is `wrong_content_type`. */
export const confirmedTranscriptHashInputCodec: Codec<
  ConfirmedTranscriptHashInput
> = {
  encode(w: Writer, v: ConfirmedTranscriptHashInput): void {
    checkCommit(v.content, "ConfirmedTranscriptHashInput.content");
    wireFormatCodec.encode(w, v.wireFormat);
    framedContentCodec.encode(w, v.content);
    opaque.encode(w, v.signature);
  },
  decode(r: Reader, f: string): ConfirmedTranscriptHashInput {
    const wireFormat = wireFormatCodec.decode(r, `${f}.wireFormat`);
    const content = framedContentCodec.decode(r, `${f}.content`);
    checkCommit(content, `${f}.content.contentType`);
    return {
      wireFormat,
      content,
      signature: opaque.decode(r, `${f}.signature`),
    };
  },
};

/** `InterimTranscriptHashInput` (§8.2). */
export interface InterimTranscriptHashInput {
  /** `MAC confirmation_tag` */
  confirmationTag: Uint8Array;
}

/** `InterimTranscriptHashInput` */
export const interimTranscriptHashInputCodec: Codec<
  InterimTranscriptHashInput
> = struct<InterimTranscriptHashInput>({ confirmationTag: opaque });
