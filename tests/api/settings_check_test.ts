// The checks of MLS's options (src/api/settings_check.ts): storage and
// provider shapes, cipher suites the provider serves, wire formats, and
// group settings with their types and ranges.
import assert from "node:assert/strict";
import { MemoryStorage, MlsError } from "../../mod.ts";
import {
  checkCipherSuite,
  checkGroupConfig,
  checkHandshakeWireFormat,
  checkProvider,
  checkStorage,
} from "../../src/api/settings_check.ts";
import { testEnv } from "./helpers.ts";

function invalidAt(f: () => unknown, field: string, code = "invalid_argument") {
  assert.throws(f, (e) => {
    assert.ok(e instanceof MlsError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.field, field);
    return true;
  });
}

Deno.test("settings_check: storage and provider shapes", () => {
  const storage = new MemoryStorage();
  assert.equal(checkStorage(storage, "storage"), storage);
  invalidAt(
    () => checkStorage({ get() {}, list() {} }, "storage"),
    "storage.batch",
  );
  const provider = testEnv().provider;
  assert.equal(checkProvider(provider, "provider"), provider);
  invalidAt(
    () => checkProvider({ suite() {} }, "provider"),
    "provider.supportedSuites",
  );
});

Deno.test("settings_check: cipher suites the provider serves", () => {
  const provider = testEnv().provider;
  assert.equal(checkCipherSuite(1, "cipherSuite", provider), 1);
  invalidAt(
    () => checkCipherSuite(0x10000, "cipherSuite", provider),
    "cipherSuite",
  );
  invalidAt(
    () => checkCipherSuite(0x7777, "cipherSuite", provider),
    "cipherSuite",
    "unsupported_cipher_suite",
  );
});

Deno.test("settings_check: handshake wire formats", () => {
  assert.equal(checkHandshakeWireFormat("public", "f"), "public");
  assert.equal(checkHandshakeWireFormat("private", "f"), "private");
  invalidAt(() => checkHandshakeWireFormat("PUBLIC", "f"), "f");
});

Deno.test("settings_check: group settings keep only what is given, checked", () => {
  assert.deepEqual(
    checkGroupConfig({
      handshakeWireFormat: "public",
      maxPastEpochs: 3,
      externalPub: false,
      maxSkippedKeys: undefined,
      padding: { blockSize: 32 },
    }, "config"),
    {
      handshakeWireFormat: "public",
      maxPastEpochs: 3,
      externalPub: false,
      padding: { blockSize: 32 },
    },
  );
  // An explicit undefined padding turns padding off.
  const off = checkGroupConfig({ padding: undefined }, "config");
  assert.ok("padding" in off && off.padding === undefined);
  assert.deepEqual(checkGroupConfig({ padding: { length: 0 } }, "c").padding, {
    length: 0,
  });
  invalidAt(
    () => checkGroupConfig({ maxPastEpochs: -1 }, "c"),
    "c.maxPastEpochs",
  );
  invalidAt(
    () => checkGroupConfig({ maxSkippedKeys: 2 ** 32 }, "c"),
    "c.maxSkippedKeys",
  );
  invalidAt(() => checkGroupConfig({ externalPub: 1 }, "c"), "c.externalPub");
  invalidAt(
    () => checkGroupConfig({ padding: { blockSize: 0 } }, "c"),
    "c.padding.blockSize",
  );
  invalidAt(() => checkGroupConfig({ padding: {} }, "c"), "c.padding");
  invalidAt(() => checkGroupConfig(null, "c"), "c");
});
