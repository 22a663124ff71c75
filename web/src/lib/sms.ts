// SMS encoding and segment count, the same rules as the server's sms.Segments
// (sms/segments.go); both are tested against sms/testdata/segments.json.

const GSM_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENSION = "\f^{}\\[]~|€";

const septets = new Map<string, number>();
for (const c of GSM_BASIC) septets.set(c, 1);
for (const c of GSM_EXTENSION) septets.set(c, 2);

export type Encoding = "GSM-7" | "UCS-2";

export interface SegmentInfo {
  encoding: Encoding;
  segments: number;
  /** Characters as the user sees them (code points). */
  chars: number;
}

/** Iterates code points; a lone surrogate counts as U+FFFD, like Go's decoding of bad input. */
function codePoints(body: string): string[] {
  return Array.from(body);
}

export function segments(body: string): SegmentInfo {
  const cps = codePoints(body);
  if (cps.length === 0) return { encoding: "GSM-7", segments: 0, chars: 0 };
  let gsm = true;
  let total = 0;
  for (const c of cps) {
    const s = septets.get(c);
    if (s === undefined) {
      gsm = false;
      break;
    }
    total += s;
  }
  if (gsm) {
    if (total <= 160) return { encoding: "GSM-7", segments: 1, chars: cps.length };
    return { encoding: "GSM-7", segments: pack(cps, 153, (c) => septets.get(c)!), chars: cps.length };
  }
  const units = (c: string) => (c.codePointAt(0)! > 0xffff ? 2 : 1);
  let n = 0;
  for (const c of cps) n += units(c);
  if (n <= 70) return { encoding: "UCS-2", segments: 1, chars: cps.length };
  return { encoding: "UCS-2", segments: pack(cps, 67, units), chars: cps.length };
}

// Greedy parts of at most `capacity` units, never splitting a character.
function pack(cps: string[], capacity: number, cost: (c: string) => number): number {
  let parts = 1;
  let used = 0;
  for (const c of cps) {
    const k = cost(c);
    if (used + k > capacity) {
      parts++;
      used = 0;
    }
    used += k;
  }
  return parts;
}
