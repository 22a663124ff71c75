// Unit tests of the contact, search and supervisor screens' pure helpers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fmtDuration, phoneProblem } from "../src/contact/format";
import { guessField, problem } from "../src/search/query";
import { addDays, buckets, daysBetween } from "../src/supervisor/logic";
import { formatIntervals, parseIntervals } from "../src/supervisor/logic";
import { templateProblem } from "../src/supervisor/logic";

test("business hours parse from and format to the text field", () => {
  assert.deepEqual(parseIntervals("9:00-12:00, 13:00-17:30"), [["09:00", "12:00"], ["13:00", "17:30"]]);
  assert.deepEqual(parseIntervals(""), []);
  assert.deepEqual(parseIntervals("00:00-24:00"), [["00:00", "24:00"]]);
  assert.equal(typeof parseIntervals("9-5"), "string");
  assert.equal(typeof parseIntervals("17:00-09:00"), "string");
  assert.equal(typeof parseIntervals("25:00-26:00"), "string");
  assert.equal(formatIntervals([["09:00", "17:00"]]), "09:00-17:00");
  assert.equal(formatIntervals(undefined), "");
});

test("metrics buckets are days up to a month, weeks beyond, covering the range", () => {
  assert.equal(addDays("2026-02-27", 2), "2026-03-01");
  assert.equal(daysBetween("2026-01-01", "2026-01-08"), 7);
  const d = buckets("2026-12-01", "2026-12-07");
  assert.equal(d.length, 7);
  assert.deepEqual(d[0], ["2026-12-01", "2026-12-01"]);
  const w = buckets("2026-09-09", "2026-12-07"); // 90 days
  assert.equal(w.length, 13);
  assert.deepEqual(w[0], ["2026-09-09", "2026-09-15"]);
  assert.equal(w[w.length - 1]![1], "2026-12-07");
  for (let i = 1; i < w.length; i++) assert.equal(addDays(w[i - 1]![1], 1), w[i]![0]);
});

test("search guesses phone or name and checks the input", () => {
  assert.equal(guessField("+1 415 555"), "phone");
  assert.equal(guessField("(415) 555-0123"), "phone");
  assert.equal(guessField("Ada"), "name");
  assert.equal(guessField("A-1234"), "name");
  assert.match(problem("name", "Ad") ?? "", /3 characters/);
  assert.equal(problem("phone", "+44"), null);
  assert.notEqual(problem("ref", "  "), null);
});

test("mobile number pre-check names the problem", () => {
  assert.equal(phoneProblem("+44 7700 900123"), null);
  assert.equal(phoneProblem("(415) 555-0123"), null);
  assert.match(phoneProblem("") ?? "", /Enter/);
  assert.match(phoneProblem("12345") ?? "", /too short/);
  assert.match(phoneProblem("call me") ?? "", /digits/);
  assert.match(phoneProblem("+1234567890123456") ?? "", /too long/);
});

test("template placeholders follow the API's rule", () => {
  assert.equal(templateProblem("Hi", "Hello {{first_name}}"), null);
  assert.notEqual(templateProblem("Hi", "Hello {{1x}}"), null);
  assert.equal(templateProblem("Hi", "Hello {{ name }}"), null);
  assert.equal(templateProblem("Hi", 'Hello {{contact.name | "there"}}, {{agent.name}} {{"{{"}}'), null);
  assert.notEqual(templateProblem("Hi", "Hello {{contact.name | there}}"), null);
  assert.notEqual(templateProblem("Hi", "Hello {{a.b.c}}"), null);
  assert.notEqual(templateProblem("", "x"), null);
});

test("durations read short", () => {
  assert.equal(fmtDuration(42), "42 s");
  assert.equal(fmtDuration(600), "10 min");
  assert.equal(fmtDuration(3900), "1 h 5 min");
  assert.equal(fmtDuration(null), "—");
});

test("chart axes step on round values", async () => {
  const { niceMax, niceStep } = await import("../src/supervisor/charts");
  assert.equal(niceStep(3, "count"), 1);
  assert.equal(niceMax(3, "count"), 3);
  assert.equal(niceStep(37, "count"), 10);
  assert.equal(niceMax(37, "count"), 40);
  assert.equal(niceStep(0, "count"), 1);
  assert.equal(niceStep(10, "time"), 5);
  assert.equal(niceMax(10, "time"), 10);
  assert.equal(niceStep(3000, "time"), 900);
  assert.equal(niceMax(0.4, "ratio"), 1);
});

test("contact history reads pages until the start date and counts the range", async () => {
  const { bounds, readPages } = await import("../src/contact/historyPages");
  // 450 items, one a day back from 2026-12-01 12:00 local, served 200 a page.
  const start = new Date(2026, 11, 1, 12).getTime();
  const all = Array.from({ length: 450 }, (_, i) => ({ type: "log", id: `l${i}`, at: new Date(start - i * 86400000).toISOString() }));
  const asked: string[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: string) => {
    const u = new URL(input, "http://x");
    asked.push(u.search);
    const from = Number(u.searchParams.get("cursor") ?? 0);
    const items = all.slice(from, from + 200);
    const next = from + 200 < all.length ? String(from + 200) : undefined;
    return new Response(JSON.stringify({ items, conversations: [], ...(next ? { next_cursor: next } : {}) }), { status: 200 });
  }) as typeof fetch;
  try {
    // 2026-11-01 .. 2026-11-30: 30 days, all on the first page.
    let [f, t] = bounds("2026-11-01", "2026-11-30");
    let b = await readPages("c1", undefined, f, t, 2000);
    assert.equal(b.items.length, 30);
    assert.equal(b.done, true);
    assert.equal(asked.length, 1);
    // A start date 300 days back needs two pages; the end date leaves out the newest day.
    asked.length = 0;
    [f, t] = bounds("2026-02-04", "2026-11-30");
    b = await readPages("c1", undefined, f, t, 2000);
    assert.equal(b.items.length, 300);
    assert.equal(asked.length, 2);
    // No dates: the first 50, with a cursor to read on, then the rest.
    [f, t] = bounds("", "");
    b = await readPages("c1", undefined, f, t, 50);
    assert.equal(b.items.length, 200);
    assert.equal(b.done, false);
    const rest = await readPages("c1", b.cursor, f, t, 2000);
    assert.equal(b.items.length + rest.items.length, 450);
    assert.equal(rest.done, true);
  } finally {
    globalThis.fetch = realFetch;
  }
});
