/**
 * Keeping a client's key packages in the service's directory: uploads
 * split to the service's per-request limits, the count of what is left,
 * and top-ups.
 *
 * The rule: the directory should hold `target` regular key packages and
 * (unless disabled) one valid last-resort key package (RFC 9420 §16.8),
 * which the service hands out whenever it has no regular one to give and
 * never consumes. {@link KeyPackagePool.maybeTopUp} reads the count after a
 * Welcome was processed (someone used one of them) and otherwise when it
 * was last read more than `checkSeconds` ago, and uploads what is missing.
 *
 * @module
 */

import type { CredentialInfo, KeyPackageCapabilities, MLS } from "../../mod.ts";
import {
  DEFAULT_MAX_KEY_PACKAGE_BYTES,
  MAX_KEY_PACKAGES_PER_UPLOAD,
} from "../shared/limits.ts";
import type { DeliveryHttp } from "./http.ts";

/** How many valid key packages the directory holds for this client. */
export interface KeyPackageCount {
  /** Regular (single-use) ones. */
  readonly regular: number;
  /** Last-resort ones. */
  readonly lastResort: number;
}

/** Groups key packages into requests the service accepts. */
export function uploadBatches(
  keyPackages: readonly Uint8Array[],
  maxCount: number = MAX_KEY_PACKAGES_PER_UPLOAD,
  maxBytes: number = DEFAULT_MAX_KEY_PACKAGE_BYTES,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  let batch: Uint8Array[] = [];
  let size = 0;
  const flush = () => {
    if (batch.length === 0) return;
    const body = new Uint8Array(size);
    let at = 0;
    for (const kp of batch) {
      body.set(kp, at);
      at += kp.length;
    }
    out.push(body);
    batch = [];
    size = 0;
  };
  for (const kp of keyPackages) {
    if (batch.length === maxCount || size + kp.length > maxBytes) flush();
    batch.push(kp);
    size += kp.length;
  }
  flush();
  return out;
}

/** Settings of a {@link KeyPackagePool}. */
export interface PoolSettings {
  /** Regular key packages to keep in the directory (0: none added automatically). */
  readonly target: number;
  /** Keep a last-resort key package there too. */
  readonly lastResort: boolean;
  /** Re-read the count on a sync at most this often, seconds. */
  readonly checkSeconds: number;
  /** What the key packages advertise (default: the library's). */
  readonly capabilities?: KeyPackageCapabilities;
}

/** Last-resort extension type (RFC 9420 §17.3). */
const LAST_RESORT = 10;

/**
 * The capabilities of a key package: a last-resort one must also list
 * its own extension's type (RFC 9420 §10).
 */
function advertised(
  caps: KeyPackageCapabilities | undefined,
  lastResort: boolean,
): KeyPackageCapabilities | undefined {
  if (!caps || !lastResort || caps.extensions?.includes(LAST_RESORT)) {
    return caps;
  }
  return { ...caps, extensions: [...caps.extensions ?? [], LAST_RESORT] };
}

/** One client's key packages in the directory. */
export class KeyPackagePool {
  readonly #http: DeliveryHttp;
  readonly #mls: MLS;
  readonly #clientId: string;
  readonly #credential: CredentialInfo;
  readonly #settings: PoolSettings;
  #checkedAt: number | undefined;
  #welcomed = false;
  #running: Promise<unknown> = Promise.resolve();

  /**
   * @param http the API, authenticated as the client
   * @param mls where the key packages' private keys go
   * @param clientId the client
   * @param credential for new key packages
   * @param settings target, last resort, check interval
   */
  constructor(
    http: DeliveryHttp,
    mls: MLS,
    clientId: string,
    credential: CredentialInfo,
    settings: PoolSettings,
  ) {
    this.#http = http;
    this.#mls = mls;
    this.#clientId = clientId;
    this.#credential = credential;
    this.#settings = settings;
  }

  /** The settings. */
  get settings(): PoolSettings {
    return this.#settings;
  }

  /** Generates `regular` key packages (+ `lastResort` ones) and uploads them. */
  async publish(regular: number, lastResort = 0): Promise<void> {
    const kps: Uint8Array[] = [];
    for (let i = 0; i < regular + lastResort; i++) {
      const kp = await this.#mls.generateKeyPackage(
        this.#clientId,
        this.#credential,
        {
          lastResort: i >= regular,
          capabilities: advertised(this.#settings.capabilities, i >= regular),
        },
      );
      kps.push(kp.bytes);
    }
    for (const body of uploadBatches(kps)) {
      await this.#http.uploadKeyPackages(body);
    }
  }

  /** The directory's count of this client's valid key packages. */
  async count(): Promise<KeyPackageCount> {
    const me = await this.#http.me();
    return { regular: me.keyPackages, lastResort: me.lastResortKeyPackages };
  }

  /**
   * Uploads regular key packages until at least `min` are in the directory,
   * and a last-resort one if there is none (and the settings keep one).
   * Returns the count afterwards. Calls run one at a time.
   */
  topUp(min: number = this.#settings.target): Promise<KeyPackageCount> {
    const run = this.#running.then(async () => {
      const now = await this.count();
      const regular = Math.max(0, min - now.regular);
      const lastResort = this.#settings.lastResort && now.lastResort === 0
        ? 1
        : 0;
      await this.publish(regular, lastResort);
      this.#checkedAt = Date.now();
      this.#welcomed = false;
      return {
        regular: now.regular + regular,
        lastResort: now.lastResort + lastResort,
      };
    });
    this.#running = run.catch(() => {});
    return run;
  }

  /** Notes that everything was just published (no check needed yet). */
  published(): void {
    this.#checkedAt = Date.now();
  }

  /** Notes that a Welcome was processed: one key package is used up. */
  welcomed(): void {
    this.#welcomed = true;
  }

  /**
   * Tops up if a Welcome was processed since the last top-up, or the count
   * was last read more than `checkSeconds` ago (or never). A failure is
   * not thrown: the next call tries again.
   */
  async maybeTopUp(): Promise<void> {
    if (this.#settings.target <= 0 && !this.#settings.lastResort) return;
    const due = this.#checkedAt === undefined ||
      Date.now() - this.#checkedAt >= this.#settings.checkSeconds * 1000;
    if (!this.#welcomed && !due) return;
    try {
      await this.topUp();
    } catch {
      // Not fatal (the last-resort package still lets others add us);
      // #welcomed and #checkedAt are unchanged, so the next sync retries.
    }
  }
}
