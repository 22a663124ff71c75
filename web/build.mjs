// Builds the console into public/: hashed, minified, code-split ES modules, an index.html
// that references them (no inline script: the CSP forbids it), and .gz copies that the
// api serves to clients that accept gzip.
import * as esbuild from "esbuild";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

// Build into a fresh directory and swap it in at the end, so a Go build reading
// public/ at the same moment (//go:embed) sees the old set or the new, never a half.
const final = "public";
const dist = ".dist-new";
rmSync(dist, { recursive: true, force: true });

const result = await esbuild.build({
  entryPoints: { main: "src/main.tsx", style: "src/style.css" },
  bundle: true,
  splitting: true,
  format: "esm",
  target: ["es2022"],
  minify: true,
  sourcemap: false,
  outdir: join(dist, "assets"),
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  assetNames: "[name]-[hash]",
  jsx: "automatic",
  jsxImportSource: "preact",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const outputs = Object.entries(result.metafile.outputs);
const entry = (name) => {
  const hit = outputs.find(([, o]) => o.entryPoint && o.entryPoint.endsWith(name));
  if (!hit) throw new Error(`no output for ${name}`);
  return "/" + relative(dist, hit[0]);
};
const js = entry("src/main.tsx");
const css = entry("src/style.css");
// Preload the entry's static imports so the browser fetches them in parallel.
const mainOut = outputs.find(([p]) => "/" + relative(dist, p) === js)[1];
const preloads = mainOut.imports
  .filter((i) => i.kind === "import-statement")
  .map((i) => `<link rel="modulepreload" href="/${relative(dist, i.path)}">`)
  .join("\n    ");

writeFileSync(
  join(dist, "index.html"),
  `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    <title>textdesk</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="${css}">
    ${preloads}
    <script type="module" src="${js}"></script>
  </head>
  <body>
    <div id="app"><noscript>The textdesk console needs JavaScript.</noscript></div>
  </body>
</html>
`,
);

// Precompress every text asset (the api picks the .gz when the client accepts gzip).
let total = 0;
const walk = (dir) => {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.(js|css|html|svg|json)$/.test(f)) {
      const gz = gzipSync(readFileSync(p), { level: 9 });
      writeFileSync(p + ".gz", gz);
      if (f.endsWith(".js")) total += gz.length;
    }
  }
};
walk(dist);
// public/.gitkeep is tracked: the Go embed needs the directory in a fresh clone.
writeFileSync(join(dist, ".gitkeep"), "");
const old = ".dist-old";
rmSync(old, { recursive: true, force: true });
if (existsSync(final)) renameSync(final, old);
renameSync(dist, final);
rmSync(old, { recursive: true, force: true });
console.log(`console built: ${js} (all JS gzipped: ${(total / 1024).toFixed(1)} KB)`);
