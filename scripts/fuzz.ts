// `npm run fuzz -- --requests N [--seed S] [--out FILE]`: the property-based fuzzing of
// test/fuzz*.test.ts for as long as asked, against the in-process Worker in workerd with a fresh
// database (PGlite, or the server named by TEST_DATABASE_URL), and a JSON summary written to FILE
// (default fuzz-summary.json): requests per operation and status, the known mismatches of the
// document met, the seed to replay a run with. `npm test` runs the same file with a bounded count.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

const root = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "5000" },
    seed: { type: "string" },
    out: { type: "string", default: "fuzz-summary.json" },
  },
});

const requests = Number(values.requests);
if (!Number.isInteger(requests) || requests < 1) {
  throw new Error(`--requests must be a positive integer, not ${values.requests}`);
}
const out = resolve(process.cwd(), values.out);

const child = spawn(
  process.execPath,
  [resolve(root, "node_modules/vitest/vitest.mjs"), "run", "--project", "worker", "test/fuzz"],
  {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      FUZZ_REQUESTS: String(requests),
      ...(values.seed ? { FUZZ_SEED: values.seed } : {}),
      FUZZ_SUMMARY: out,
    },
  },
);
const code = await new Promise<number>((done) => child.on("exit", (status) => done(status ?? 1)));
try {
  const summary = JSON.parse(await readFile(out, "utf8"));
  console.log(
    `\n${summary.requests} requests fuzzed (seed ${summary.seed}) in ${summary.seconds} s; summary in ${out}`,
  );
} catch {
  console.error(`no summary was written to ${out}`);
}
process.exit(code);
