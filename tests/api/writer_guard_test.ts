// The one-writer machinery on its own (src/api/writer_guard.ts): a view's
// calls run in call order, a call that lost to another writer runs again
// until MAX_ATTEMPTS, and a read whose head token moved reads again.
import assert from "node:assert/strict";
import { MlsError } from "../../mod.ts";
import {
  lostToAnotherWriter,
  MAX_ATTEMPTS,
  readSteadily,
  sameToken,
  type TurnTaker,
  WriterTurns,
} from "../../src/api/writer_guard.ts";

const conflict = () => new MlsError("storage_conflict", "lost");

/** A view whose calls lose while `losses` lasts. */
function view(losses: number): TurnTaker & { prepared: number } {
  const v = {
    prepared: 0,
    prepare: () => {
      v.prepared++;
      return Promise.resolve();
    },
    lostToAnotherWriter: (e: unknown) =>
      Promise.resolve(e instanceof MlsError && losses-- > 0),
  };
  return v;
}

Deno.test("writer turns: calls run one at a time, in call order", async () => {
  const turns = new WriterTurns("g", "c", view(0));
  const order: string[] = [];
  const slow = turns.run(async () => {
    await new Promise((r) => setTimeout(r, 5));
    order.push("first");
  });
  const fast = turns.run(() => {
    order.push("second");
    return Promise.resolve();
  });
  await Promise.all([slow, fast]);
  assert.deepEqual(order, ["first", "second"]);
});

Deno.test("writer turns: a call that lost runs again, prepared each time", async () => {
  const v = view(2);
  let runs = 0;
  const out = await new WriterTurns("g", "c", v).run(() => {
    if (++runs <= 2) throw conflict();
    return Promise.resolve(runs);
  });
  assert.equal(out, 3);
  assert.equal(v.prepared, 3);
});

Deno.test("writer turns: storage_conflict after MAX_ATTEMPTS; other errors at once", async () => {
  const turns = new WriterTurns("g", "c", view(Infinity));
  let runs = 0;
  await assert.rejects(
    turns.run(() => {
      runs++;
      throw conflict();
    }),
    (e) => e instanceof MlsError && e.code === "storage_conflict",
  );
  assert.equal(runs, MAX_ATTEMPTS);
  await assert.rejects(
    turns.run(() => Promise.reject(new Error("boom"))),
    /boom/,
  );
});

Deno.test("lostToAnotherWriter: a conflict only when stale; others when the head moved", async () => {
  const current = () => Promise.resolve(true);
  const moved = () => Promise.resolve(false);
  assert.equal(await lostToAnotherWriter(conflict(), true, current), true);
  assert.equal(await lostToAnotherWriter(conflict(), false, moved), false);
  const protocol = new MlsError("wrong_epoch", "old");
  assert.equal(await lostToAnotherWriter(protocol, false, moved), true);
  assert.equal(await lostToAnotherWriter(protocol, false, current), false);
  assert.equal(await lostToAnotherWriter(protocol, true, moved), false);
  const outage = new MlsError("storage_failure", "down");
  assert.equal(await lostToAnotherWriter(outage, false, moved), false);
  assert.equal(await lostToAnotherWriter(new Error("x"), false, moved), false);
});

Deno.test("readSteadily: reads again while the token moves, discarding torn reads", async () => {
  const tokens = [1, 2, 2, 2].map((n) => new Uint8Array([n]));
  let t = 0;
  const discarded: number[] = [];
  let reads = 0;
  const value = await readSteadily(
    () => Promise.resolve(tokens[Math.min(t++, tokens.length - 1)]),
    () => Promise.resolve(++reads),
    (v) => discarded.push(v),
  );
  assert.equal(value, 2);
  assert.deepEqual(discarded, [1]);
  assert.ok(sameToken(undefined, undefined));
  assert.ok(!sameToken(new Uint8Array([1]), undefined));
});

Deno.test("readSteadily: an error of a steady read is thrown", async () => {
  const token = new Uint8Array([7]);
  await assert.rejects(
    readSteadily(
      () => Promise.resolve(token),
      () => Promise.reject(new MlsError("storage_failure", "down")),
      () => {},
    ),
    (e) => e instanceof MlsError && e.code === "storage_failure",
  );
});
