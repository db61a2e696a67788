// The options of generateKeyPackage (src/api/key_package_options.ts):
// capabilities that list what the package uses (RFC 9420 §7.2, §10) and
// never the default types, lifetimes, one extension per type (§13.4).
import assert from "node:assert/strict";
import { MlsError } from "../../mod.ts";
import { keyPackageOptions } from "../../src/api/key_package_options.ts";
import { CredentialType } from "../../src/messages/credential.ts";
import { ExtensionType } from "../../src/messages/extension.ts";
import { ProposalType } from "../../src/messages/proposal.ts";

const basic = {
  credentialType: CredentialType.basic,
  identity: new TextEncoder().encode("alice"),
};
const options = (o: unknown) => keyPackageOptions(o, "options", 1, basic);
const ext = (extensionType: number) => ({
  extensionType,
  extensionData: new Uint8Array([1]),
});

function invalidAt(o: unknown, field: string): void {
  assert.throws(() => options(o), (e) => {
    assert.ok(e instanceof MlsError, String(e));
    assert.equal(e.code, "invalid_argument");
    assert.equal(e.field, field);
    return true;
  });
}

Deno.test("key_package_options: defaults; used extension types are listed in the capabilities", () => {
  const none = options({});
  assert.equal(none.lastResort, undefined);
  assert.equal(none.lifetime, undefined);
  assert.ok(none.capabilities!.cipherSuites.includes(1));
  assert.ok(!none.capabilities!.extensions.includes(0xff00));
  const o = options({ lastResort: true, leafExtensions: [ext(0xff00)] });
  assert.equal(o.lastResort, true);
  assert.ok(o.capabilities!.extensions.includes(ExtensionType.lastResort));
  assert.ok(o.capabilities!.extensions.includes(0xff00));
  // A default type (§7.2) is used but never listed.
  const d = options({ extensions: [ext(ExtensionType.applicationId)] });
  assert.ok(!d.capabilities!.extensions.includes(ExtensionType.applicationId));
});

Deno.test("key_package_options: capabilities must list what the package uses, and no default type", () => {
  invalidAt(
    { capabilities: { versions: [2] } },
    "options.capabilities.versions",
  );
  invalidAt(
    { capabilities: { cipherSuites: [2] } },
    "options.capabilities.cipherSuites",
  );
  invalidAt(
    { capabilities: { credentials: [CredentialType.x509] } },
    "options.capabilities.credentials",
  );
  invalidAt(
    { capabilities: { extensions: [ExtensionType.ratchetTree] } },
    "options.capabilities.extensions",
  );
  invalidAt(
    { capabilities: { proposals: [ProposalType.add] } },
    "options.capabilities.proposals",
  );
  invalidAt(
    { leafExtensions: [ext(0xff00)], capabilities: { extensions: [] } },
    "options.capabilities.extensions",
  );
  invalidAt(
    { capabilities: { versions: [0x10000] } },
    "options.capabilities.versions.0",
  );
});

Deno.test("key_package_options: lifetimes", () => {
  const notBefore = new Date(1_000_000_000_000);
  const notAfter = new Date(1_100_000_000_000);
  assert.deepEqual(options({ lifetime: { notBefore, notAfter } }).lifetime, {
    notBefore: 1_000_000_000n,
    notAfter: 1_100_000_000n,
  });
  const now = BigInt(Math.floor(Date.now() / 1000));
  const s = options({ lifetime: { seconds: 60 } }).lifetime!;
  assert.ok(s.notBefore <= now - 3600n + 1n && s.notBefore >= now - 3602n);
  assert.ok(s.notAfter >= now + 59n && s.notAfter <= now + 62n);
  invalidAt(
    { lifetime: { notBefore: notAfter, notAfter: notBefore } },
    "options.lifetime.notAfter",
  );
  invalidAt(
    { lifetime: { notBefore: new Date(NaN), notAfter } },
    "options.lifetime.notBefore",
  );
  invalidAt(
    { lifetime: { notBefore: new Date(-5000), notAfter } },
    "options.lifetime.notBefore",
  );
  invalidAt({ lifetime: { seconds: 0 } }, "options.lifetime.seconds");
});

Deno.test("key_package_options: one extension per type (§13.4)", () => {
  invalidAt(
    { extensions: [ext(0xff00), ext(0xff00)] },
    "options.extensions.1.extensionType",
  );
  invalidAt(
    { lastResort: true, extensions: [ext(ExtensionType.lastResort)] },
    "options.extensions",
  );
  invalidAt(
    { extensions: [{ extensionType: 1, extensionData: "x" }] },
    "options.extensions.0.extensionData",
  );
  invalidAt({ lastResort: "yes" }, "options.lastResort");
});
