// key-schedule.json: GroupContext encoding, every epoch secret (RFC 9420
// §8), the external public key (§8) and MLS-Exporter (§8.5), chained over
// the epochs.
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import { encode } from "../../src/codec/codec.ts";
import { groupContextCodec } from "../../src/messages/group_context.ts";
import { ProtocolVersion } from "../../src/messages/protocol_version.ts";
import { mlsExporter } from "../../src/schedule/exporter.ts";
import {
  deriveEpochSecrets,
  deriveExternalKeyPair,
  deriveWelcomeSecret,
  type EpochSecrets,
  epochSecretsFromJoiner,
} from "../../src/schedule/key_schedule.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";

interface Epoch {
  tree_hash: string;
  commit_secret: string;
  psk_secret: string;
  confirmed_transcript_hash: string;
  group_context: string;
  joiner_secret: string;
  welcome_secret: string;
  init_secret: string;
  sender_data_secret: string;
  encryption_secret: string;
  exporter_secret: string;
  epoch_authenticator: string;
  external_secret: string;
  confirmation_key: string;
  membership_key: string;
  resumption_psk: string;
  external_pub: string;
  exporter: { label: string; context: string; length: number; secret: string };
}

interface KeyScheduleVector {
  cipher_suite: number;
  group_id: string;
  initial_init_secret: string;
  epochs: Epoch[];
}

const FIELDS: [keyof EpochSecrets, keyof Epoch][] = [
  ["joinerSecret", "joiner_secret"],
  ["welcomeSecret", "welcome_secret"],
  ["initSecret", "init_secret"],
  ["senderDataSecret", "sender_data_secret"],
  ["encryptionSecret", "encryption_secret"],
  ["exporterSecret", "exporter_secret"],
  ["epochAuthenticator", "epoch_authenticator"],
  ["externalSecret", "external_secret"],
  ["confirmationKey", "confirmation_key"],
  ["membershipKey", "membership_key"],
  ["resumptionPsk", "resumption_psk"],
];

/** Checks one key-schedule entry. */
export async function check(v: KeyScheduleVector): Promise<void> {
  const cs = await defaultProvider().suite(v.cipher_suite);
  const groupId = fromHex(v.group_id);
  let initSecret = fromHex(v.initial_init_secret);
  for (let i = 0; i < v.epochs.length; i++) {
    const e = v.epochs[i];
    const groupContext = encode(groupContextCodec, {
      version: ProtocolVersion.mls10,
      cipherSuite: v.cipher_suite,
      groupId,
      epoch: BigInt(i),
      treeHash: fromHex(e.tree_hash),
      confirmedTranscriptHash: fromHex(e.confirmed_transcript_hash),
      extensions: [],
    });
    assert.equal(toHex(groupContext), e.group_context, `group_context #${i}`);

    const pskSecret = fromHex(e.psk_secret);
    const s = await deriveEpochSecrets(cs, {
      initSecret,
      commitSecret: fromHex(e.commit_secret),
      pskSecret,
      groupContext,
    });
    for (const [ours, theirs] of FIELDS) {
      assert.equal(toHex(s[ours]), e[theirs], `${theirs} #${i}`);
    }

    // The Welcome path: the joiner secret alone gives the same epoch.
    const welcome = await deriveWelcomeSecret(cs, s.joinerSecret, pskSecret);
    assert.equal(toHex(welcome), e.welcome_secret, `welcome_secret #${i}`);
    const joined = await epochSecretsFromJoiner(
      cs,
      s.joinerSecret,
      pskSecret,
      groupContext,
    );
    for (const [ours, theirs] of FIELDS) {
      assert.equal(toHex(joined[ours]), e[theirs], `joined ${theirs} #${i}`);
    }

    const external = await deriveExternalKeyPair(cs, s.externalSecret);
    assert.equal(
      toHex(external.publicKey),
      e.external_pub,
      `external_pub #${i}`,
    );

    const exported = await mlsExporter(
      cs,
      s.exporterSecret,
      e.exporter.label, // the label is the string as given, not hex
      fromHex(e.exporter.context),
      e.exporter.length,
    );
    assert.equal(toHex(exported), e.exporter.secret, `exporter #${i}`);

    initSecret = s.initSecret;
  }
}
