// Reading a contact's history (GET /v1/contacts/{id}/history) for a date range: the
// API pages newest first without dates, so pages are read until the start date is
// passed. Kept apart from the component so it is unit-tested (web/test/extra.test.ts).
import type { HistoryItem, HistoryPage } from './types';
import { http, qs } from './common';

export const PAGE = 200;
export const MAX_ITEMS = 2000;

export interface Batch {
  items: HistoryItem[];
  cursor: string | undefined;
  /** Nothing more in the range: the start date was passed or the history ended. */
  done: boolean;
}

export function bounds(from: string, to: string): [number, number] {
  const fromT = from ? new Date(`${from}T00:00:00`).getTime() : -Infinity;
  let toT = Infinity;
  if (to) {
    const end = new Date(`${to}T00:00:00`);
    end.setDate(end.getDate() + 1); // the whole `to` day, 23 or 25 hours on a DST change
    toT = end.getTime();
  }
  return [fromT, toT];
}

/** Reads pages from cursor on, keeping items in [fromT, toT), until `want` are kept (or all, with a start date). */
export async function readPages(contactId: string, start: string | undefined, fromT: number, toT: number, want: number): Promise<Batch> {
  const items: HistoryItem[] = [];
  let cursor = start;
  let read = 0;
  for (;;) {
    const page = await http.get<HistoryPage>(`/v1/contacts/${encodeURIComponent(contactId)}/history${qs({ limit: PAGE, cursor })}`);
    for (const it of page.items) {
      read++;
      const t = new Date(it.at).getTime();
      if (t < fromT) return { items, cursor: undefined, done: true };
      if (t < toT) items.push(it);
    }
    cursor = page.next_cursor;
    if (!cursor) return { items, cursor, done: true };
    if (read >= MAX_ITEMS || items.length >= want) return { items, cursor, done: false };
  }
}

