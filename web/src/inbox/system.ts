// System lines in the thread (transfer, conference join, RONA, status changes, ...):
// the caller's own events about the conversation, read once from
// GET /v1/conversations/{id}/events when it opens and then kept current by the stream.
// (message_failed is left out: the failed message itself says why, under its bubble.)
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { onEvent } from "../events";
import type { ServerEvent } from "../types";
import type { SystemLine } from "./thread";

const KINDS = new Set([
  "offer", "assigned", "unassigned", "transfer_accepted", "transfer_not_accepted", "conference_joined", "offer_expired",
  "offer_withdrawn", "offer_taken", "reopened", "status_changed",
]);

const byConv = new Map<string, SystemLine[]>();
const subs = new Set<() => void>();

function add(e: ServerEvent): boolean {
  if (!e.conversation_id || !KINDS.has(e.kind) || !e.text) return false;
  const list = byConv.get(e.conversation_id) ?? [];
  if (list.some((l) => l.id === String(e.id))) return false;
  list.push({ id: String(e.id), at: e.created_at, text: e.kind === "offer_expired" && !/RONA/.test(e.text) ? `${e.text} (RONA)` : e.text });
  list.sort((a, b) => Number(a.id) - Number(b.id));
  byConv.set(e.conversation_id, list);
  return true;
}

onEvent((e: ServerEvent) => {
  if (add(e)) subs.forEach((f) => f());
});

const loaded = new Set<string>();
function loadHistory(convId: string): void {
  if (loaded.has(convId)) return;
  loaded.add(convId);
  api.get<{ events: ServerEvent[] }>(`/v1/conversations/${convId}/events`).then(
    (r) => {
      let changed = false;
      for (const e of r.events) changed = add(e) || changed;
      if (changed) subs.forEach((f) => f());
    },
    () => loaded.delete(convId),
  );
}

export function systemLines(convId: string): SystemLine[] {
  const [, bump] = useState(0);
  useEffect(() => loadHistory(convId), [convId]);
  useEffect(() => {
    const f = () => bump((n) => n + 1);
    subs.add(f);
    return () => void subs.delete(f);
  }, []);
  return byConv.get(convId) ?? [];
}
