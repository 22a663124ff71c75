// Runs the console's unit tests (test/*.test.ts) with Node's built-in test runner.
// Node 18/20 cannot run TypeScript, so esbuild bundles each test first (~100 ms).
import * as esbuild from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

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
// `node --test <files>` behaves the same on Debian's Node 18 and on Node 20+.
const r = spawnSync(process.execPath, ["--test", ...tests.map((f) => join(out, f.replace(/\.ts$/, ".mjs")))], { stdio: "inherit" });
process.exit(r.status ?? 1);
