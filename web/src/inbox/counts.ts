// Inbox counts per team (GET /v1/me/inbox-counts), refreshed when the stream says they
// changed. Refreshes are coalesced: a burst of events costs one request.
import { api } from "../api";
import { onEvent } from "../events";
import { createStore } from "../lib/store";
import type { InboxCounts } from "../types";

export const counts = createStore<Record<string, InboxCounts>>({});

let timer: number | undefined;
let inflight = false;
let again = false;

export async function loadCounts(): Promise<void> {
  if (inflight) {
    again = true;
    return;
  }
  inflight = true;
  try {
    const r = await api.get<{ teams: InboxCounts[] }>("/v1/me/inbox-counts");
    const next: Record<string, InboxCounts> = {};
    for (const t of r.teams ?? []) next[t.team_id] = t;
    counts.set(next);
  } catch {
    // Older servers lack the route: the sidebar shows no numbers.
  } finally {
    inflight = false;
    if (again) {
      again = false;
      void loadCounts();
    }
  }
}

/** Ask for fresh counts soon (coalescing bursts). */
export function refreshCountsSoon(): void {
  window.clearTimeout(timer);
  timer = window.setTimeout(() => void loadCounts(), 250);
}

// Nearly every event can move a conversation between inboxes.
onEvent((e) => {
  if (e.kind !== "presence_changed") refreshCountsSoon();
});

/** Bumped when this console changed something lists show (read, sent, acted). */
export const listTick = createStore(0);
export function bumpLists(): void {
  listTick.set((n) => n + 1);
}
