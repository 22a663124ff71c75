import assert from "node:assert/strict";
import { test } from "node:test";

// A fake EventSource: records the URLs opened and lets the test drive it.
class FakeES {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;
  static all: FakeES[] = [];
  readyState = FakeES.CONNECTING;
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string; lastEventId: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeES.all.push(this);
  }
  close() {
    this.readyState = FakeES.CLOSED;
  }
  emit(id: number, kind: string) {
    this.onmessage?.({ lastEventId: String(id), data: JSON.stringify({ id, kind, conversation_id: null, text: kind, created_at: "" }) });
  }
}
const timers: (() => void)[] = [];
const listeners: Record<string, (e: { persisted: boolean }) => void> = {};
Object.assign(globalThis, {
  EventSource: FakeES,
  window: {
    setTimeout: (fn: () => void) => timers.push(fn),
    clearTimeout: () => {},
    addEventListener: (type: string, fn: (e: { persisted: boolean }) => void) => (listeners[type] = fn),
  },
});

test("the stream resumes after the last event when it must be reopened", async () => {
  const ev = await import("../src/events");
  const seen: string[] = [];
  ev.onEvent((e) => seen.push(`${e.id}:${e.kind}`));
  ev.startEvents();
  assert.equal(FakeES.all.length, 1);
  assert.equal(FakeES.all[0]!.url, "/v1/events");
  assert.equal(ev.connection.get(), "connecting");
  const first = FakeES.all[0]!;
  first.readyState = FakeES.OPEN;
  first.onopen?.();
  assert.equal(ev.connection.get(), "open");
  first.emit(41, "offer");
  first.emit(42, "new_message");
  assert.deepEqual(seen, ["41:offer", "42:new_message"]);

  // The browser is retrying by itself (it sends Last-Event-ID): banner, no new source.
  first.readyState = FakeES.CONNECTING;
  first.onerror?.();
  assert.equal(ev.connection.get(), "reconnecting");
  assert.equal(FakeES.all.length, 1);

  // The browser gave up: we reopen after the last id, so nothing is skipped.
  first.readyState = FakeES.CLOSED;
  first.onerror?.();
  assert.equal(timers.length, 1);
  timers.shift()!();
  assert.equal(FakeES.all.length, 2);
  assert.equal(FakeES.all[1]!.url, "/v1/events?after=42");
  FakeES.all[1]!.onopen?.();
  assert.equal(ev.connection.get(), "open");
  ev.stopEvents();
  assert.equal(ev.connection.get(), "closed");
});

test("a page put in the back-forward cache closes its stream and resumes after the last event", async () => {
  const ev = await import("../src/events");
  ev.startEvents();
  const open = FakeES.all[FakeES.all.length - 1]!;
  open.readyState = FakeES.OPEN;
  open.onopen?.();
  open.emit(ev.lastEventId() + 5, "offer");
  const last = ev.lastEventId();
  listeners["pagehide"]!({ persisted: true });
  assert.equal(open.readyState, FakeES.CLOSED, "the hidden page holds no connection");
  listeners["pageshow"]!({ persisted: true });
  const resumed = FakeES.all[FakeES.all.length - 1]!;
  assert.notEqual(resumed, open);
  assert.equal(resumed.url, `/v1/events?after=${last}`);
  ev.stopEvents();
});
