// Time formatting for lists and threads: short, relative where it helps.

export function parse(ts: string | null | undefined): number {
  return ts ? Date.parse(ts) : NaN;
}

/** "now", "4m", "2h 5m", "3d": a duration in its two largest units. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  const s = Math.floor(ms / 1000);
  if (s < 60) return s < 5 ? "now" : `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 && d < 7 ? `${d}d ${h % 24}h` : `${d}d`;
}

/** "0:42" countdowns for offers. */
export function countdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const dayFmt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A list timestamp: the time today, else the date. */
export function shortTime(ts: string | null | undefined, now = Date.now()): string {
  const t = parse(ts);
  if (!Number.isFinite(t)) return "";
  const d = new Date(t);
  const today = new Date(now);
  return d.toDateString() === today.toDateString() ? timeFmt.format(d) : dayFmt.format(d);
}

export function fullTime(ts: string | null | undefined): string {
  const t = parse(ts);
  return Number.isFinite(t) ? fullFmt.format(new Date(t)) : "";
}

export function dayLabel(ts: string): string {
  const d = new Date(parse(ts));
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return "Today";
  const y = new Date(now.getTime() - 86400000);
  if (d.toDateString() === y.toDateString()) return "Yesterday";
  return new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric", year: d.getFullYear() === now.getFullYear() ? undefined : "numeric" }).format(d);
}

/** The offset (ms) of zone at the instant utc: local wall time = utc + offset. */
function zoneOffset(zone: string, utc: number): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(utc));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return wall - Math.floor(utc / 1000) * 1000;
}

/**
 * The instant of wall-clock date ("2026-12-08") and time ("09:30") in an IANA zone, so
 * "schedule for 9:30" means 9:30 where the team is, whatever the agent's own zone.
 */
export function zonedToUTC(date: string, time: string, zone: string): Date {
  const [y, mo, d] = date.split("-").map(Number) as [number, number, number];
  const [h, mi] = time.split(":").map(Number) as [number, number];
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  // Two passes settle DST edges.
  let t = guess - zoneOffset(zone, guess);
  t = guess - zoneOffset(zone, t);
  return new Date(t);
}

/** Date ("YYYY-MM-DD") and time ("HH:MM") of an instant in an IANA zone. */
export function utcToZoned(at: number, zone: string): { date: string; time: string } {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  }).formatToParts(new Date(at));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "00";
  return { date: `${get("year")}-${get("month")}-${get("day")}`, time: `${get("hour")}:${get("minute")}` };
}

export function zonedLabel(ts: string, zone: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: zone, timeZoneName: "short" }).format(new Date(ts));
  } catch {
    return fullTime(ts);
  }
}
