import assert from "node:assert/strict";
import { test } from "node:test";
import { match } from "../src/lib/match";

test("match extracts params and rejects other shapes", () => {
  assert.deepEqual(match("/inbox/:inbox", "/inbox/mine"), { inbox: "mine" });
  assert.deepEqual(match("/inbox/:inbox/c/:id", "/inbox/team/c/abc"), { inbox: "team", id: "abc" });
  assert.equal(match("/inbox/:inbox", "/inbox/mine/c/1"), null);
  assert.equal(match("/c/:id", "/inbox/mine"), null);
  assert.deepEqual(match("/supervisor/*", "/supervisor/t/metrics"), {});
});
