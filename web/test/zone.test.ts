import assert from "node:assert/strict";
import { test } from "node:test";
import { utcToZoned, zonedToUTC } from "../src/lib/time";

test("scheduling reads the date and time in the team's zone", () => {
  assert.equal(zonedToUTC("2026-07-01", "09:30", "Europe/Paris").toISOString(), "2026-07-01T07:30:00.000Z");
  assert.equal(zonedToUTC("2026-01-15", "09:30", "America/New_York").toISOString(), "2026-01-15T14:30:00.000Z");
  assert.equal(zonedToUTC("2026-12-08", "23:15", "UTC").toISOString(), "2026-12-08T23:15:00.000Z");
  // The day DST starts in Paris (29 March 2026): 09:00 is already summer time.
  assert.equal(zonedToUTC("2026-03-29", "09:00", "Europe/Paris").toISOString(), "2026-03-29T07:00:00.000Z");
  assert.deepEqual(utcToZoned(Date.parse("2026-07-01T07:30:00Z"), "Europe/Paris"), { date: "2026-07-01", time: "09:30" });
});
