/**
 * The README's "Key export" example runs as written: the SFU prints one
 * SFrame key per epoch, and the last equals the key Alice derives herself
 * from her exporter.
 */
import assert from "node:assert/strict";
import { main } from "../../examples/key_export.ts";
import { sframeExport, sframeKeyAndSalt, sframeKeyId } from "../../export.ts";
import { toHex } from "../../src/util/bytes.ts";

Deno.test("key export example: the SFU's SFrame key of each epoch, the last equal to Alice's own", async () => {
  const lines: string[] = [];
  const { keysByEpoch, view } = await main((l) => lines.push(l));
  assert.equal(keysByEpoch.length, 2);
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^epoch 1: KID 1, SFrame key [0-9a-f]{32}$/);
  assert.notEqual(keysByEpoch[0], keysByEpoch[1]);
  const grant = sframeExport(4);
  const base = await view.exportSecret(
    grant.label,
    grant.context,
    grant.length,
  );
  const kid = sframeKeyId(view.epoch, 0, { epochBits: 4, indexBits: 6 });
  const { key } = await sframeKeyAndSalt(base, kid, 4);
  assert.equal(view.epoch, 2n);
  assert.equal(keysByEpoch[1], toHex(key));
});

Deno.test("key export example: the README shows the example's code as it runs", async () => {
  const root = new URL("../../", import.meta.url);
  const example = await Deno.readTextFile(
    new URL("examples/key_export.ts", root),
  );
  const readme = await Deno.readTextFile(new URL("README.md", root));
  const block = example.split("// --- README: start ---\n")[1]
    .split("    // --- README: end ---")[0]
    .trimEnd().split("\n").map((l) => l.replace(/^ {4}/, "")).join("\n");
  assert.ok(readme.includes("## Key export"));
  assert.ok(
    readme.includes("```ts\n" + block + "\n```"),
    "README block differs",
  );
});
