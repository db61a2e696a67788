/**
 * Group context extensions (RFC 9420 §12.1.7): a group name every member
 * agrees on (an application extension, type 0xff00), required
 * capabilities that keep out clients that cannot show it, and an external
 * sender (a delivery service allowed to propose), all changed by commit
 * and read from `details().extensions`.
 *
 * Run: `npx deno run examples/group_extensions.ts`
 */
import { type GroupView, MLS, MlsError } from "../mod.ts";

/** The application's extension type for the group name (private use). */
const GROUP_NAME = 0xff00;
const text = new TextEncoder();
const nameOf = (g: GroupView) => {
  const e = g.details().extensions.application?.find((x) =>
    x.extensionType === GROUP_NAME
  );
  return e && new TextDecoder().decode(e.extensionData);
};

/** Runs the example; returns what the members saw, for the test. */
export async function main(log: (line: string) => void = console.log) {
  const mls = new MLS();
  const [alice, bob, carol, service] = [
    await mls.generateIdentity(),
    await mls.generateIdentity(),
    await mls.generateIdentity(),
    await mls.generateIdentity(),
  ];
  // Clients that can show the group name say so in their capabilities.
  const capabilities = { extensions: [GROUP_NAME] };
  const aliceGroup = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
    {
      extensions: {
        requiredCapabilities: { extensions: [GROUP_NAME] },
        application: [{
          extensionType: GROUP_NAME,
          extensionData: text.encode("Project X"),
        }],
      },
    },
  );
  const added = await aliceGroup.add(
    await mls.generateKeyPackage(bob, await mls.generateCredential("bob"), {
      capabilities,
    }),
  );
  await aliceGroup.receive(added);
  const bobGroup = await mls.groupJoin(bob, added);
  log(`bob joined "${nameOf(bobGroup)}"`);

  // Carol's client does not support the name: the group refuses her.
  let carolRefused = "";
  try {
    await aliceGroup.add(
      await mls.generateKeyPackage(
        carol,
        await mls.generateCredential("carol"),
      ),
    );
  } catch (e) {
    if (!(e instanceof MlsError)) throw e;
    carolRefused = e.code;
    log(`carol refused: ${e.code}`);
  }

  // Bob renames the group and admits the delivery service as an external
  // sender; the whole set is replaced, so he keeps the other parts.
  const current = bobGroup.details().extensions;
  const renamed = await bobGroup.setExtensions({
    ...current,
    application: [{
      extensionType: GROUP_NAME,
      extensionData: text.encode("Project Y"),
    }],
    externalSenders: [{
      ...service,
      credential: await mls.generateCredential("delivery service"),
    }],
  });
  await bobGroup.receive(renamed);
  await aliceGroup.receive(renamed);
  const senders = aliceGroup.details().extensions.externalSenders ?? [];
  log(`alice sees "${nameOf(aliceGroup)}", ${senders.length} external sender`);
  return {
    names: [nameOf(aliceGroup), nameOf(bobGroup)],
    carolRefused,
    externalSenders: senders.map((s) => s.credential),
    required: aliceGroup.details().extensions.requiredCapabilities,
  };
}

if (import.meta.main) await main();
