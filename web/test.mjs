// Runs the console's unit tests (test/*.test.ts) with Node's built-in test runner.
// Node 20 cannot run TypeScript, so esbuild bundles each test first (~100 ms).
import * as esbuild from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { run } from "node:test";
import { spec } from "node:test/reporters";

const out = ".test-build";
rmSync(out, { recursive: true, force: true });
const tests = readdirSync("test").filter((f) => f.endsWith(".test.ts"));
if (tests.length === 0) {
  console.log("no TS unit tests");
  process.exit(0);
}
await esbuild.build({
  entryPoints: tests.map((f) => join("test", f)),
  bundle: true,
  platform: "node",
  format: "esm",
  outdir: out,
  outExtension: { ".js": ".mjs" },
  jsx: "automatic",
  jsxImportSource: "preact",
  logLevel: "warning",
});
let failed = false;
const stream = run({ files: tests.map((f) => join(out, f.replace(/\.ts$/, ".mjs"))) });
stream.on("test:fail", () => (failed = true));
stream.compose(spec).pipe(process.stdout);
stream.on("close", () => process.exit(failed ? 1 : 0));
