// System lines in the thread (transfer, conference join, RONA, wrap-up, ...): the API's
// messages carry no such rows, so the console keeps the events it receives for each
// conversation and shows them in place. (Events from before this page load are not
// shown; see web/README.md "what is left".)
import { useEffect, useState } from "preact/hooks";
import { onEvent } from "../events";
import type { ServerEvent } from "../types";
import type { SystemLine } from "./thread";

const KINDS = new Set([
  "assigned", "unassigned", "transfer_accepted", "transfer_not_accepted", "conference_joined", "offer_expired",
  "offer_withdrawn", "offer_taken", "reopened", "status_changed", "message_failed",
]);

const byConv = new Map<string, SystemLine[]>();
const subs = new Set<() => void>();

onEvent((e: ServerEvent) => {
  if (!e.conversation_id || !KINDS.has(e.kind) || !e.text) return;
  const list = byConv.get(e.conversation_id) ?? [];
  if (list.some((l) => l.id === String(e.id))) return;
  list.push({ id: String(e.id), at: e.created_at, text: e.kind === "offer_expired" ? `${e.text} (RONA)` : e.text });
  byConv.set(e.conversation_id, list);
  subs.forEach((f) => f());
});

export function systemLines(convId: string): SystemLine[] {
  const [, bump] = useState(0);
  useEffect(() => {
    const f = () => bump((n) => n + 1);
    subs.add(f);
    return () => void subs.delete(f);
  }, []);
  return byConv.get(convId) ?? [];
}
