import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { segments } from "../src/lib/sms";

// The same table the server's sms package is tested against.
const doc = JSON.parse(readFileSync(new URL("../sms/testdata/segments.json", `file://${process.cwd()}/`), "utf8")) as {
  cases: { name: string; text: [string, number][]; encoding: string; segments: number }[];
};

test("segments agree with sms/testdata/segments.json", () => {
  assert.ok(doc.cases.length >= 20);
  for (const c of doc.cases) {
    const body = c.text.map(([p, n]) => p.repeat(n)).join("");
    const got = segments(body);
    assert.deepEqual([got.encoding, got.segments], [c.encoding, c.segments], c.name);
  }
});
