// Bundles the Worker (wrangler.toml's [build] command; wrangler dev and deploy run it). It is
// plain esbuild plus one change: zod ships error messages in ~40 languages behind `z.locales`, and
// @hono/zod-openapi's use of the `z` namespace keeps them all alive. The API answers in English,
// so only English is bundled; that keeps some 70 KiB (gzipped) off every edge location.
// With --profile it writes an unminified bundle, function names intact, to dist/worker.profile.js
// instead, for `npm run bench:profile` (scripts/bench/profile.ts); dist/worker.js is left alone.
// With --outfile=PATH it writes the bundle there (a test that serves its own copy).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const profile = process.argv.includes("--profile");
const outfile = process.argv
  .find((arg) => arg.startsWith("--outfile="))
  ?.slice("--outfile=".length);

await build({
  entryPoints: [join(root, "src", "index.ts")],
  outfile: outfile ?? join(root, "dist", profile ? "worker.profile.js" : "worker.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  conditions: ["workerd", "worker", "browser"],
  // The runtime's async context (wrangler.toml's nodejs_als flag).
  external: ["node:async_hooks"],
  minify: !profile,
  sourcemap: true,
  logLevel: "warning",
  plugins: [
    {
      name: "zod-english-only",
      setup(pluginBuild) {
        pluginBuild.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
          args.importer.includes(`${"node_modules"}/zod/`)
            ? { path: join(root, "scripts", "zod-locales.ts") }
            : undefined,
        );
      },
    },
  ],
});
