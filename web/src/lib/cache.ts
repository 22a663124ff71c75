// Shared, de-duplicated reads of slow-changing data (teams, members, templates): one
// request however many components ask, refreshed on demand.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { Member, Team, Template } from "../types";

const entries = new Map<string, { at: number; value: Promise<unknown> }>();
const listeners = new Map<string, Set<() => void>>();

export function cached<T>(key: string, load: () => Promise<T>, maxAgeMs = 60_000): Promise<T> {
  const e = entries.get(key);
  if (e && Date.now() - e.at < maxAgeMs) return e.value as Promise<T>;
  const value = load();
  entries.set(key, { at: Date.now(), value });
  value.catch(() => entries.delete(key));
  return value;
}

/** Forget key (or every key starting with it) and tell the components showing it. */
export function invalidate(prefix: string): void {
  for (const k of [...entries.keys()]) if (k.startsWith(prefix)) entries.delete(k);
  for (const [k, fns] of listeners) if (k.startsWith(prefix)) fns.forEach((f) => f());
}

/** Reads key in a component; undefined while loading, re-reads when invalidated. */
export function useCached<T>(key: string | null, load: () => Promise<T>, maxAgeMs?: number): T | undefined {
  const [v, setV] = useState<T | undefined>(undefined);
  const [gen, setGen] = useState(0);
  useEffect(() => {
    if (!key) return;
    let live = true;
    const fns = listeners.get(key) ?? new Set();
    const bump = () => setGen((g) => g + 1);
    fns.add(bump);
    listeners.set(key, fns);
    cached(key, load, maxAgeMs).then((x) => live && setV(() => x), () => {});
    return () => {
      live = false;
      fns.delete(bump);
    };
  }, [key, gen]);
  return v;
}

export const getTeam = (id: string) => cached(`team:${id}`, () => api.get<Team>(`/v1/teams/${id}`));
export const useTeam = (id: string | null | undefined) =>
  useCached(id ? `team:${id}` : null, () => api.get<Team>(`/v1/teams/${id}`));

export const useMembers = (teamId: string | null | undefined) =>
  useCached(
    teamId ? `members:${teamId}` : null,
    () => api.get<{ members: Member[] }>(`/v1/teams/${teamId}/members`).then((r) => r.members, () => [] as Member[]),
    15_000,
  );

export const useTemplates = (teamId: string | null | undefined) =>
  useCached(
    teamId ? `templates:${teamId}` : null,
    () => api.get<{ templates: Template[] }>(`/v1/teams/${teamId}/templates`).then((r) => r.templates, () => [] as Template[]),
  );
