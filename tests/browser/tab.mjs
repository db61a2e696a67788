// One tab of tests/browser/multi_tab_driver.ts: an `MLS` on IndexedDB
// whose view of one group the driver works through `globalThis.tab`.
// With `?nolocks`, the page hides `navigator.locks` first, so that only
// IndexedDbStorage's conditional batches keep the tabs apart.
if (new URLSearchParams(location.search).has("nolocks")) {
  Object.defineProperty(navigator, "locks", {
    value: undefined,
    configurable: true,
  });
}
// Served only by the driver: imported by computed URL so that `deno check`
// does not look for it on disk.
const mod = await import(new URL("/webmls.mjs", location.href).href);

let mls;
let identity;
let view;
const bytes = (a) => new Uint8Array(a);
const array = (b) => Array.from(b);

globalThis.tab = {
  /** A new identity and key package in database `db`. */
  async create(db) {
    mls = new mod.MLS({ storage: new mod.IndexedDbStorage(db) });
    identity = await mls.generateIdentity();
    const kp = await mls.generateKeyPackage(
      identity,
      await mls.generateCredential("alice"),
    );
    return { clientId: identity.clientId, keyPackage: array(kp.bytes) };
  },
  /** Joins from a Welcome. */
  async join(welcome) {
    view = await mls.groupJoin(identity, bytes(welcome));
    return view.groupId;
  },
  /** Loads the view stored in database `db`. */
  async open(db, groupId, clientId) {
    mls = new mod.MLS({ storage: new mod.IndexedDbStorage(db) });
    view = await mls.groupGet(groupId, clientId);
    return String(view.epoch);
  },
  /** Sends `n` messages at once. */
  async sendMany(name, n) {
    const sent = await Promise.all(
      Array.from({ length: n }, (_, i) => view.send(`${name} ${i}`)),
    );
    return sent.map(array);
  },
  async update() {
    return array((await view.update()).commit);
  },
  async receive(message) {
    return (await view.receive(bytes(message))).type;
  },
  /** What the view shows now, without calling into it. */
  epoch() {
    return String(view.epoch);
  },
};
globalThis.__ready = true;
