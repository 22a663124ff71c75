// Pure helpers (no DOM, no API): formatting and input checks shared by the contact,
// search and supervisor screens; unit-tested in web/test/extra.test.ts.

/** A fresh Idempotency-Key, so a retried submit creates nothing twice. */
export function idempotencyKey(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) return crypto.randomUUID();
  return `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d.getTime()) ? iso : dateTimeFmt.format(d);
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d.getTime()) ? iso : dateFmt.format(d);
}

/** "3 min", "2 h 5 min", "4 d": a duration in words short enough for a table. */
export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** "since 10 min" for a presence or a wait. */
export function since(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const t = new Date(iso).getTime();
  if (isNaN(t)) return '';
  return fmtDuration((now - t) / 1000);
}

/** +14155550123 -> +1 415 555 0123 (readable, not a full libphonenumber). */
export function fmtPhone(e164: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  if (m) return `+1 ${m[1]} ${m[2]} ${m[3]}`;
  return e164;
}

/** Local date (YYYY-MM-DD) of a Date, for <input type=date>. */
export function isoDay(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export const STATUS_WORDS: Record<string, string> = {
  outbound: 'Waiting for a reply',
  new: 'New',
  missed: 'Missed',
  active: 'Active',
  wrap_up: 'Wrap-up',
  closed: 'Closed',
};

/** Where the console shows a conversation and a contact. */
export function conversationHref(id: string): string {
  return `/c/${id}`;
}
export function contactHref(id: string): string {
  return `/contacts/${id}`;
}

/**
 * Rough check of a customer's mobile number before the server's real one
 * (libphonenumber on the server decides and says why it refuses).
 */
export function phoneProblem(raw: string): string | null {
  const v = raw.trim();
  if (!v) return 'Enter the customer’s mobile number.';
  if (!/^\+?[0-9 ()\-.]+$/.test(v)) return 'A phone number has only digits, spaces, ( ) - . and a leading +.';
  const digits = v.replace(/\D/g, '');
  if (digits.length < 7) return 'This number is too short.';
  if (digits.length > 15) return 'This number is too long (at most 15 digits).';
  return null;
}

/** A YYYY-MM-DD day (an <input type=date> value) in words, read as a local date. */
export function fmtDay(day: string): string {
  const d = new Date(`${day}T00:00:00`);
  return isNaN(d.getTime()) ? day : dateFmt.format(d);
}
