/**
 * The consumer side of the key export service: a non-member (a media
 * server, a recorder) with its own HPKE and signature keys, authorized by
 * a group (`GroupView.authorizeConsumer`), fetches its sealed exports with
 * signed requests (`shared/export_wire.ts`) and opens them. It needs no
 * MLS state: the HPKE `info` binds group id, epoch, consumer id, label and
 * context, so an export opens only as what it claims to be.
 *
 * @module
 */

import { defaultProvider } from "../../providers/mod.ts";
import type {
  CryptoProvider,
  SignaturePrivateKey,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { decryptWithLabel, signWithLabel } from "../../src/crypto/labeled.ts";
import { MlsError } from "../../src/errors.ts";
import {
  EXPORT_SEAL_LABEL,
  exportSealContext,
} from "../../src/messages/export_consumers.ts";
import { fromHex, toHex, utf8Encode } from "../../src/util/bytes.ts";
import { fromBase64, toBase64 } from "../shared/base64.ts";
import {
  EXPORT_NONCE_HEADER,
  EXPORT_SIGNATURE_HEADER,
  EXPORT_TIME_HEADER,
  FETCH_LABEL,
  fetchContent,
  type WireExports,
} from "../shared/export_wire.ts";
import type { WireError } from "../shared/wire.ts";
import { DeliveryError } from "./http.ts";

/** A consumer's keys, all of one MLS cipher suite. */
export interface ConsumerKeys {
  /** The suite (the groups' that authorize it). */
  readonly cipherSuite: number;
  /** HPKE public key: what the group seals to. */
  readonly hpkePublicKey: Uint8Array;
  /** HPKE private key: keep it secret. */
  readonly hpkePrivateKey: Uint8Array;
  /** Signature public key: what the service checks fetches with. */
  readonly signaturePublicKey: Uint8Array;
  /** Signature private key (raw or a non-extractable `CryptoKey`). */
  readonly signaturePrivateKey: SignaturePrivateKey;
}

/**
 * Fresh consumer keys for `cipherSuite` (default 1). Give a group the
 * public halves (`hpkePublicKey`, `signaturePublicKey`).
 *
 * @example
 * ```ts
 * import { generateConsumerKeys } from "@webmls/mls/export";
 * const keys = await generateConsumerKeys(1);
 * console.log(keys.hpkePublicKey.length); // 32
 * ```
 */
export async function generateConsumerKeys(
  cipherSuite = 1,
  provider: CryptoProvider = defaultProvider(),
): Promise<ConsumerKeys> {
  const cs = await provider.suite(cipherSuite);
  const hpke = await cs.hpkeGenerateKeyPair();
  const sig = await cs.signatureGenerateKeyPair();
  return {
    cipherSuite,
    hpkePublicKey: hpke.publicKey,
    hpkePrivateKey: hpke.privateKey,
    signaturePublicKey: sig.publicKey,
    signaturePrivateKey: sig.privateKey,
  };
}

/** One opened export: `exportSecret(label, context, secret.length)` of an epoch. */
export interface ExportedSecret {
  /** Group id, hex. */
  readonly groupId: string;
  /** The epoch it is of. */
  readonly epoch: bigint;
  /** The exporter label. */
  readonly label: string;
  /** The exporter context. */
  readonly context: Uint8Array;
  /** The secret. */
  readonly secret: Uint8Array;
}

/** What one fetch returned. */
export interface ExportBatch {
  /** The opened exports, in epoch order. */
  readonly secrets: ExportedSecret[];
  /**
   * Exports that did not open (a member sealed garbage, or to an old key):
   * their epoch, label and context.
   */
  readonly rejected: { epoch: bigint; label: string }[];
  /** The `from` of the next fetch. */
  readonly next: number;
}

/** Options of {@link ExportConsumer}. */
export interface ExportConsumerOptions {
  /** The service's base URL. */
  readonly url: string;
  /** This consumer's id, as the group lists it. */
  readonly id: string;
  /** Its keys. */
  readonly keys: ConsumerKeys;
  /** Crypto (default: the library's). */
  readonly provider?: CryptoProvider;
}

/**
 * A consumer of the key export service.
 *
 * @example
 * ```ts ignore
 * import { ExportConsumer } from "@webmls/mls/export";
 * const sfu = new ExportConsumer({ url, id: "sfu", keys });
 * for await (const e of sfu.exports(groupId)) console.log(e.epoch, e.secret);
 * ```
 */
export class ExportConsumer {
  /** The service's base URL, without a trailing slash. */
  readonly url: string;
  /** This consumer's id. */
  readonly id: string;
  readonly #keys: ConsumerKeys;
  readonly #provider: CryptoProvider;
  #cs: Promise<SuiteCrypto> | undefined;

  /** A consumer with `options`' id and keys. */
  constructor(options: ExportConsumerOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.id = options.id;
    this.#keys = options.keys;
    this.#provider = options.provider ?? defaultProvider();
  }

  #suite(): Promise<SuiteCrypto> {
    return this.#cs ??= this.#provider.suite(this.#keys.cipherSuite);
  }

  #path(groupId: string): string {
    return `/v1/groups/${groupId}/exports/${toHex(utf8Encode(this.id))}`;
  }

  /** A fresh time, nonce and signature for a request from `from`. */
  async #sign(
    cs: SuiteCrypto,
    groupId: string,
    from: number,
  ): Promise<{ time: string; nonce: string; signature: string }> {
    const time = Date.now();
    const nonce = toHex(cs.randomBytes(16));
    const content = fetchContent(this.url, groupId, this.id, from, time, nonce);
    const signature = await signWithLabel(
      cs,
      this.#keys.signaturePrivateKey,
      FETCH_LABEL,
      content,
    );
    return { time: String(time), nonce, signature: toBase64(signature) };
  }

  /**
   * This consumer's exports of group `groupId` from epoch `from` on over a
   * WebSocket, as the service stores them, until `signal` aborts or the
   * service closes the stream. A refused request closes it at once (the
   * WebSocket API does not show the status: use {@link ExportConsumer.fetch}
   * to learn the code).
   *
   * @example
   * ```ts ignore
   * for await (const e of sfu.stream(groupId, { signal })) use(e.epoch, e.secret);
   * ```
   */
  async *stream(
    groupId: string,
    options: { from?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<ExportedSecret> {
    const cs = await this.#suite();
    const from = options.from ?? 0;
    const signed = await this.#sign(cs, groupId, from);
    const url = new URL(`${this.url}${this.#path(groupId)}/stream`);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.search = new URLSearchParams({ from: String(from), ...signed })
      .toString();
    const socket = new WebSocket(url);
    const frames: WireExports[] = [];
    let wake: (() => void) | undefined;
    let closed = false;
    const nudge = () => {
      wake?.();
      wake = undefined;
    };
    socket.onmessage = (e) => {
      try {
        const m = JSON.parse(String(e.data));
        if (m?.type === "exports") frames.push(m as WireExports);
      } catch { /* not JSON: ignored */ }
      nudge();
    };
    socket.onclose = () => {
      closed = true;
      nudge();
    };
    socket.onerror = () => nudge();
    const abort = () => socket.close();
    options.signal?.addEventListener("abort", abort);
    try {
      for (;;) {
        const frame = frames.shift();
        if (frame) {
          yield* (await this.#open(cs, groupId, frame)).secrets;
          continue;
        }
        if (closed || options.signal?.aborted) return;
        await new Promise<void>((r) => wake = r);
      }
    } finally {
      options.signal?.removeEventListener("abort", abort);
      if (socket.readyState < WebSocket.CLOSING) socket.close();
    }
  }

  /**
   * This consumer's exports of group `groupId` (hex) from epoch `from` on
   * (at most a page), waiting up to `wait` seconds while there is none.
   * Service refusals throw `DeliveryError` with the service's code.
   *
   * @example
   * ```ts ignore
   * const { secrets, next } = await sfu.fetch(groupId, { from: 0, wait: 30 });
   * ```
   */
  async fetch(
    groupId: string,
    options: { from?: number; wait?: number; signal?: AbortSignal } = {},
  ): Promise<ExportBatch> {
    const cs = await this.#suite();
    const from = options.from ?? 0;
    const signed = await this.#sign(cs, groupId, from);
    const res = await fetch(
      `${this.url}${this.#path(groupId)}?from=${from}&wait=${
        options.wait ?? 0
      }`,
      {
        headers: {
          [EXPORT_TIME_HEADER]: signed.time,
          [EXPORT_NONCE_HEADER]: signed.nonce,
          [EXPORT_SIGNATURE_HEADER]: signed.signature,
        },
        signal: options.signal,
      },
    );
    if (!res.ok) {
      let err: WireError["error"] = { code: "http_error", message: "" };
      try {
        err = ((await res.json()) as WireError).error ?? err;
      } catch { /* not JSON */ }
      throw new DeliveryError(res.status, err.code, err.message);
    }
    const body = await res.json() as WireExports;
    return await this.#open(cs, groupId, body);
  }

  async #open(
    cs: SuiteCrypto,
    groupId: string,
    body: WireExports,
  ): Promise<ExportBatch> {
    const secrets: ExportedSecret[] = [];
    const rejected: { epoch: bigint; label: string }[] = [];
    for (const e of body.exports) {
      const epoch = BigInt(e.epoch);
      const context = fromBase64(e.context);
      try {
        const info = exportSealContext({
          groupId: fromHex(groupId),
          epoch,
          consumerId: utf8Encode(this.id),
          label: utf8Encode(e.label),
          context,
        });
        const secret = await decryptWithLabel(
          cs,
          this.#keys.hpkePrivateKey,
          EXPORT_SEAL_LABEL,
          info,
          fromBase64(e.kemOutput),
          fromBase64(e.ciphertext),
          this.#keys.hpkePublicKey,
        );
        secrets.push({ groupId, epoch, label: e.label, context, secret });
      } catch (err) {
        if (!(err instanceof MlsError) && !(err instanceof TypeError)) {
          throw err;
        }
        rejected.push({ epoch, label: e.label });
      }
    }
    return { secrets, rejected, next: body.next };
  }

  /**
   * Every export of group `groupId` from epoch `from` on, as it arrives
   * (long polls of `wait` seconds, default 25), until `signal` aborts.
   *
   * @example
   * ```ts ignore
   * for await (const e of sfu.exports(groupId, { signal })) use(e.epoch, e.secret);
   * ```
   */
  async *exports(
    groupId: string,
    options: { from?: number; wait?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<ExportedSecret> {
    let from = options.from ?? 0;
    while (!options.signal?.aborted) {
      let batch: ExportBatch;
      try {
        batch = await this.fetch(groupId, {
          from,
          wait: options.wait ?? 25,
          signal: options.signal,
        });
      } catch (e) {
        if (options.signal?.aborted) return;
        throw e;
      }
      yield* batch.secrets;
      from = batch.next;
    }
  }
}
