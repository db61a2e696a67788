// The chat page's history store and message envelope: messages and unread
// counts in one batch, order, states, the cap, the removed mark, contacts;
// encrypted at rest under EncryptedStorage; envelope parsing and times.
import assert from "node:assert/strict";
import { EncryptedStorage, MemoryStorage } from "../../mod.ts";
import { ChatHistory, MAX_MESSAGES } from "../../server/chat/history.ts";
import {
  fingerprint,
  openEnvelope,
  sealEnvelope,
} from "../../server/chat/envelope.ts";

const text = (t: string, at = 1) => ({
  kind: "text" as const,
  from: "bb",
  text: t,
  at,
  state: "received" as const,
});

Deno.test("chat history: order, unread, states, removed, contacts", async () => {
  const h = new ChatHistory(new MemoryStorage(), "aa");
  await h.add("g1", text("one"), { unread: true });
  await h.add("g1", text("two"), { unread: true });
  const own = await h.add("g1", {
    id: "mine-1",
    kind: "text",
    from: "aa",
    text: "three",
    at: 3,
    state: "sending",
  });
  assert.equal(own.id, "mine-1");
  assert.deepEqual((await h.messages("g1")).map((m) => m.text), [
    "one",
    "two",
    "three",
  ]);
  assert.equal((await h.meta("g1")).unread, 2);
  await h.settleSending("g1"); // a page that starts again
  assert.equal((await h.messages("g1"))[2].state, "unconfirmed");
  await h.setState("g1", "mine-1", "delivered");
  assert.equal((await h.messages("g1"))[2].state, "delivered");
  await h.settleSending("g1");
  assert.equal((await h.messages("g1"))[2].state, "delivered");
  await h.markRead("g1");
  assert.equal((await h.meta("g1")).unread, 0);
  await h.markRemoved("g1", { by: "bb", at: 5, epoch: "3" });
  assert.deepEqual((await h.meta("g1")).removed, {
    by: "bb",
    at: 5,
    epoch: "3",
  });
  await h.markRemoved("g1", undefined);
  assert.equal((await h.meta("g1")).removed, undefined);
  await h.setName("g1", "Team");
  await h.touch("g2");
  assert.deepEqual((await h.groups()).map((g) => g.groupId), ["g1", "g2"]);
  assert.equal((await h.groups())[0].meta.name, "Team");
  await h.saveContacts({ bb: "Bob" });
  await h.saveContacts({ cc: "Carol" });
  assert.deepEqual(await h.contacts(), { bb: "Bob", cc: "Carol" });
  // Another client's history in the same storage is apart.
  const other = new ChatHistory(new MemoryStorage(), "cc");
  assert.deepEqual(await other.messages("g1"), []);
});

Deno.test("chat history: keeps the last MAX_MESSAGES", async () => {
  const h = new ChatHistory(new MemoryStorage(), "aa");
  for (let i = 0; i < MAX_MESSAGES + 3; i++) await h.add("g", text(`m${i}`));
  const all = await h.messages("g");
  assert.equal(all.length, MAX_MESSAGES);
  assert.equal(all[0].text, "m3");
  assert.equal(all.at(-1)!.text, `m${MAX_MESSAGES + 2}`);
});

Deno.test("chat history: encrypted at rest under EncryptedStorage", async () => {
  const inner = new MemoryStorage();
  const storage = await EncryptedStorage.open(inner, {
    rawKey: crypto.getRandomValues(new Uint8Array(32)),
  });
  const h = new ChatHistory(storage, "aa");
  await h.add("g", text("a secret plan"));
  await h.saveContacts({ bb: "Bobby Tables" });
  const keys = await inner.list("chat/");
  assert.ok(keys.length >= 3);
  for (const key of keys) {
    const raw = new TextDecoder().decode((await inner.get(key)) as Uint8Array);
    assert.ok(!raw.includes("secret") && !raw.includes("Bobby"), key);
  }
  assert.equal((await h.messages("g"))[0].text, "a secret plan");
});

Deno.test("chat envelope: time from the sender, never later than arrival", () => {
  assert.deepEqual(openEnvelope(sealEnvelope("hi", 100), 200), {
    text: "hi",
    at: 100,
  });
  assert.deepEqual(openEnvelope(sealEnvelope("hi", 900), 200), {
    text: "hi",
    at: 200,
  });
  for (const plain of ["hello", "{}", '{"v":2,"text":"x","at":1}', "[1]"]) {
    assert.deepEqual(openEnvelope(plain, 5), { text: plain, at: 5 });
  }
  assert.deepEqual(openEnvelope('{"v":1,"text":"x","at":"1"}', 5), {
    text: '{"v":1,"text":"x","at":"1"}',
    at: 5,
  });
  assert.equal(fingerprint("0123456789abcdef99"), "0123 4567 89ab cdef");
});
