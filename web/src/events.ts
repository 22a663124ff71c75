// The event stream: one EventSource on /v1/events for the whole console. The browser
// reconnects by itself and sends Last-Event-ID, so nothing is skipped; when we have to
// recreate it (after an error that closed it for good), we pass ?after=<last id>.
// Subscribers get every event; the connection state drives the reconnect banner.
import { createStore } from "./lib/store";
import type { ServerEvent } from "./types";

export type ConnState = "connecting" | "open" | "reconnecting" | "closed";
export const connection = createStore<ConnState>("closed");

type Handler = (e: ServerEvent) => void;
const handlers = new Set<Handler>();
let source: EventSource | null = null;
let lastId = 0;
let retryTimer: number | undefined;
let retryDelay = 1000;

// Called when the browser gives up on the stream: the session may have ended (a 401
// the EventSource cannot report), which an ordinary request will reveal.
let probe: () => void = () => {};
export function setStreamProbe(fn: () => void): void {
  probe = fn;
}

export function onEvent(fn: Handler): () => void {
  handlers.add(fn);
  return () => handlers.delete(fn);
}

export function startEvents(): void {
  stopEvents();
  open();
}

export function stopEvents(): void {
  window.clearTimeout(retryTimer);
  source?.close();
  source = null;
  connection.set("closed");
}

function open(): void {
  const src = new EventSource(lastId > 0 ? `/v1/events?after=${lastId}` : "/v1/events", { withCredentials: true });
  source = src;
  connection.set(connection.get() === "closed" ? "connecting" : "reconnecting");
  src.onopen = () => {
    retryDelay = 1000;
    connection.set("open");
  };
  src.onmessage = (m: MessageEvent<string>) => {
    const id = Number(m.lastEventId);
    if (id > lastId) lastId = id;
    if (!m.data) return;
    let ev: ServerEvent;
    try {
      ev = JSON.parse(m.data) as ServerEvent;
    } catch {
      return;
    }
    if (ev.id > lastId) lastId = ev.id;
    for (const fn of handlers) {
      try {
        fn(ev);
      } catch (err) {
        console.error("event handler failed", ev.kind, err);
      }
    }
  };
  src.onerror = () => {
    if (source !== src) return;
    if (src.readyState === EventSource.CONNECTING) {
      // The browser retries by itself (with Last-Event-ID).
      connection.set("reconnecting");
      return;
    }
    // CLOSED: the browser gave up (e.g. a 401 or 5xx). Retry ourselves, resuming after lastId.
    src.close();
    connection.set("reconnecting");
    probe();
    retryTimer = window.setTimeout(() => {
      if (source === src) open();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  };
}

/** The id of the last event seen (for tests and debugging). */
export function lastEventId(): number {
  return lastId;
}
