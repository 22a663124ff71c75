import assert from "node:assert/strict";
import { test } from "node:test";
import { fill, placeholders } from "../src/lib/template";

test("template placeholders are found once each and filled", () => {
  assert.deepEqual(placeholders("Hi {{first_name}}, order {{order}} for {{first_name}}"), ["first_name", "order"]);
  assert.deepEqual(placeholders("No placeholders {here}"), []);
  assert.equal(fill("Hi {{name}}, see you {{when}}", { name: "Ana" }), "Hi Ana, see you {{when}}");
});
