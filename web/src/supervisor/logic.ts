// Pure helpers of the supervisor screens (dates, business hours, template rules);
// unit-tested in web/test/extra.test.ts.
import type { Interval } from './types';

export function todayIn(tz: string): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}

export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function daysBetween(a: string, b: string): number {
  return Math.round((new Date(`${b}T00:00:00Z`).getTime() - new Date(`${a}T00:00:00Z`).getTime()) / 86400000);
}

/** [from, to] date pairs (to included) covering the range: days, or weeks past 31 days. */
export function buckets(from: string, to: string): Array<[string, string]> {
  const n = daysBetween(from, to) + 1;
  const step = n > 31 ? 7 : 1;
  const out: Array<[string, string]> = [];
  for (let d = from; daysBetween(d, to) >= 0; d = addDays(d, step)) {
    const end = addDays(d, step - 1);
    out.push([d, daysBetween(end, to) < 0 ? to : end]);
  }
  return out;
}


/** "09:00-12:00, 13:00-17:00" <-> [["09:00","12:00"],["13:00","17:00"]]. */
export function formatIntervals(iv: Interval[] | undefined): string {
  return (iv ?? []).map(([a, b]) => `${a}-${b}`).join(', ');
}

export function parseIntervals(s: string): Interval[] | string {
  const out: Interval[] = [];
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$/.exec(part);
    if (!m) return `“${part}” is not like 09:00-17:00`;
    const a = `${m[1]!.padStart(2, '0')}:${m[2]}`;
    const b = `${m[3]!.padStart(2, '0')}:${m[4]}`;
    const ok = (t: string) => /^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/.test(t);
    if (!ok(a) || !ok(b)) return `“${part}” has a time that does not exist`;
    if (b <= a) return `“${part}” closes before it opens`;
    out.push([a, b]);
  }
  return out;
}


const PLACEHOLDER = /\{\{ *(?:"[^"]*"|[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)?(?: *\| *"[^"]*")?) *\}\}/g;

export function templateProblem(name: string, body: string): string | null {
  if (!name.trim()) return 'Give the template a name.';
  if (!body.trim()) return 'Write the template’s text.';
  // The API's syntax (package templating); which dotted names exist is the API's to say (422).
  const bad = body.replace(PLACEHOLDER, '').includes('{{');
  if (bad) return 'Placeholders are written {{name}}, {{contact.name}} or {{contact.name | "fallback"}}: a letter, then letters, digits or _.';
  return null;
}

