/**
 * Group context extensions (RFC 9420 §11.1, §12.1.7, §13) as the Web API
 * shows them: `required_capabilities`, `external_senders` and the
 * application's own extensions (say a group name every member agrees on),
 * checked at the API boundary and turned into the group context's
 * `Extension` list, and back for `details()`. Whether the members support
 * them is the group layer's rule (`validation/`), checked when the list is
 * proposed, committed and received.
 *
 * @module
 */

import { decode, encode } from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import { type Extension, ExtensionType } from "../messages/extension.ts";
import { externalSendersCodec } from "../messages/external_senders.ts";
import { type Proposal, ProposalType } from "../messages/proposal.ts";
import { requiredCapabilitiesCodec } from "../messages/required_capabilities.ts";
import {
  checkArray,
  checkBytes,
  checkInteger,
  checkObject,
  checkOptions,
  invalid,
  optional,
} from "./args.ts";
import { credentialInfo, wireCredential } from "./convert.ts";
import { consumerInfo, exportConsumersExtension } from "./export_consumers.ts";
import {
  decodeExportConsumers,
  EXPORT_CONSUMERS_EXTENSION,
} from "../messages/export_consumers.ts";
import type {
  CredentialInfo,
  ExportConsumerInfo,
  ExtensionInput,
  ExternalSenderInfo,
  GroupExtensions,
  RequiredCapabilitiesInfo,
} from "./types.ts";

/** Extension types the API names or that a group context cannot carry. */
const RESERVED: readonly number[] = [
  ExtensionType.applicationId,
  ExtensionType.ratchetTree,
  ExtensionType.requiredCapabilities,
  ExtensionType.externalPub,
  ExtensionType.externalSenders,
  EXPORT_CONSUMERS_EXTENSION,
];

function types(value: unknown, field: string): number[] {
  return checkArray(value, field).map((t, i) =>
    checkInteger(t, `${field}.${i}`, 0, 0xffff)
  );
}

function senders(value: unknown, field: string): Extension {
  const list = checkArray(value, field).map((s, i) => {
    const o = checkObject(s, `${field}.${i}`);
    return {
      signatureKey: checkBytes(
        o.signaturePublicKey,
        `${field}.${i}.signaturePublicKey`,
      ),
      credential: wireCredential(
        o.credential as CredentialInfo,
        `${field}.${i}.credential`,
      ),
    };
  });
  return {
    extensionType: ExtensionType.externalSenders,
    extensionData: encode(externalSendersCodec, list),
  };
}

function required(value: unknown, field: string): Extension {
  const o = checkOptions(value, field);
  const list = (k: string) => optional(o[k], `${field}.${k}`, types) ?? [];
  return {
    extensionType: ExtensionType.requiredCapabilities,
    extensionData: encode(requiredCapabilitiesCodec, {
      extensionTypes: list("extensions"),
      proposalTypes: list("proposals"),
      credentialTypes: list("credentials"),
    }),
  };
}

function application(value: unknown, field: string): Extension[] {
  const seen = new Set<number>();
  return checkArray(value, field).map((e, i) => {
    const o = checkObject(e, `${field}.${i}`);
    const f = `${field}.${i}.extensionType`;
    const t = checkInteger(o.extensionType, f, 0, 0xffff);
    if (RESERVED.includes(t)) {
      invalid(f, "an application's type (not 1 to 5 or 0xF0E5)", t);
    }
    if (seen.has(t)) invalid(f, "a type not already listed (§13.4)", t);
    seen.add(t);
    return {
      extensionType: t,
      extensionData: checkBytes(o.extensionData, `${field}.${i}.extensionData`)
        .slice(),
    };
  });
}

/**
 * The group context `Extension` list of a {@link GroupExtensions} input,
 * checked (`invalid_argument` naming the field).
 *
 * @example
 * ```ts ignore
 * const list = groupExtensionList({ application: [{ extensionType: 0xff00, extensionData }] }, "extensions");
 * ```
 */
export function groupExtensionList(
  value: unknown,
  field: string,
): Extension[] {
  const o = checkObject(value, field);
  const f = (k: string) => `${field}.${k}`;
  const out: Extension[] = [];
  const req = optional(
    o.requiredCapabilities,
    f("requiredCapabilities"),
    required,
  );
  if (req) out.push(req);
  const ext = optional(o.externalSenders, f("externalSenders"), senders);
  if (ext) out.push(ext);
  const consumers = optional(
    o.exportConsumers,
    f("exportConsumers"),
    (v, field) =>
      checkArray(v, field).length > 0
        ? exportConsumersExtension(v, field)
        : undefined,
  );
  if (consumers) out.push(consumers);
  out.push(...optional(o.application, f("application"), application) ?? []);
  return out;
}

/**
 * The GroupContextExtensions proposal (§12.1.7) of an input.
 *
 * @example
 * ```ts ignore
 * await commitOwn(live, env, { proposals: [extensionsProposal(input, "extensions")] });
 * ```
 */
export function extensionsProposal(value: unknown, field: string): Proposal {
  return {
    proposalType: ProposalType.groupContextExtensions,
    extensions: groupExtensionList(value, field),
  };
}

/**
 * The {@link GroupExtensions} of a group context's list, for `details()`.
 * The group layer decoded both named extensions when they entered the
 * group; one that does not decode is shown as it is, under `application`.
 *
 * @example
 * ```ts ignore
 * const { application } = groupExtensionsOf(state.context.extensions);
 * ```
 */
export function groupExtensionsOf(list: readonly Extension[]): GroupExtensions {
  let requiredCapabilities: RequiredCapabilitiesInfo | undefined;
  let externalSenders: ExternalSenderInfo[] | undefined;
  let exportConsumers: ExportConsumerInfo[] | undefined;
  const app: ExtensionInput[] = [];
  for (const e of list) {
    try {
      if (e.extensionType === ExtensionType.requiredCapabilities) {
        const r = decode(requiredCapabilitiesCodec, e.extensionData, "rc");
        requiredCapabilities = {
          extensions: r.extensionTypes,
          proposals: r.proposalTypes,
          credentials: r.credentialTypes,
        };
        continue;
      }
      if (e.extensionType === ExtensionType.externalSenders) {
        externalSenders = decode(externalSendersCodec, e.extensionData, "es")
          .map((s) => ({
            signaturePublicKey: s.signatureKey,
            credential: credentialInfo(s.credential),
          }));
        continue;
      }
      if (e.extensionType === EXPORT_CONSUMERS_EXTENSION) {
        exportConsumers = decodeExportConsumers(e.extensionData)
          .map(consumerInfo);
        continue;
      }
    } catch (err) {
      if (!(err instanceof MlsError)) throw err;
      // Shown raw below.
    }
    app.push({
      extensionType: e.extensionType,
      extensionData: e.extensionData.slice(),
    });
  }
  return {
    ...(requiredCapabilities ? { requiredCapabilities } : {}),
    ...(externalSenders ? { externalSenders } : {}),
    ...(exportConsumers ? { exportConsumers } : {}),
    application: app,
  };
}
