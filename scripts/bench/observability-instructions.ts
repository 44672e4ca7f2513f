// `npm run bench:observability -- --instructions`: what observing a request costs, counted in
// instructions rather than timed. Each variant's workerd runs under valgrind's callgrind, which
// counts every instruction the process executes (its threads and V8's generated code included)
// whatever else the machine is doing, where CPU time on this shared 2-core VM drifts by more
// between two loads than the cost measured (observability.ts). Not perfectly repeatable still:
// when the garbage collector runs, and how requests and I/O interleave, vary, so two windows of
// one process differ by up to a few per cent; their mean put "as deployed" at +7.7 % three runs
// out of four. Instructions are not time (cache misses and the kernel's side of a syscall are
// not in them), so this says what each variant adds and where in workerd (callgrind_annotate's
// inclusive counts of named functions), the timed bench what a request costs here.
//
// Per variant: start workerd under callgrind, log in, warm up (WARMUP reads: V8 optimises the hot
// paths), then, WINDOWS times, zero the counters, send REQUESTS reads of the caller's own user
// (GET /users/{id}) one after another and dump the counters. Variants run two at a time (one per
// core: a count does not depend on the load); each takes about six minutes, 30 ms a read. The
// warm-up is long because V8 was still optimising a first window that came after 1,500 reads (it
// counted 2-4 % more than the second in observed variants); after 4,000 the windows agree. The
// garbage collector's work still lands in one window or another, so windows of one process
// differ by up to about 1.5 %: more windows (BENCH_WINDOWS) narrow the mean.
// Settings: BENCH_WARMUP_REQUESTS (4000), BENCH_REQUESTS (1000 per window), BENCH_WINDOWS (2).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Workerd } from "./workerd.ts";

const WARMUP = Number(process.env.BENCH_WARMUP_REQUESTS || 4000);
const REQUESTS = Number(process.env.BENCH_REQUESTS || 1000);
const WINDOWS = Math.max(1, Number(process.env.BENCH_WINDOWS || 2));
const CONCURRENCY = 1;

/** valgrind's command line for one workerd; its counts are dumped into `dir`. */
export function callgrindWrapper(dir: string): string[] {
  try {
    execFileSync("valgrind", ["--version"], { stdio: "ignore" });
  } catch {
    throw new Error("--instructions needs valgrind (Debian: apt-get install valgrind)");
  }
  return [
    "valgrind",
    "--tool=callgrind",
    `--callgrind-out-file=${join(dir, "callgrind.out")}`,
    // V8 writes and rewrites its generated code: valgrind must notice, or it runs stale code.
    "--smc-check=all-non-file",
  ];
}

/**
 * V8's --predictable: compilation on the main thread and fixed hash seeds, so that optimised code
 * arrives after the same number of reads in every process (under valgrind threads run one at a
 * time, and a background compilation lands a varying number of reads later).
 */
export const PREDICTABLE_V8 = ["--predictable"];

/**
 * Functions of workerd and V8 whose inclusive counts say where an observed request's work goes:
 * unlike the totals, these do not depend on when the garbage collector runs.
 */
const FUNCTIONS: { label: string; pattern: RegExp }[] = [
  { label: "console.log (workerd's handleLog)", pattern: /::handleLog\(/ },
  { label: "  its write to stdout (fflush)", pattern: /\bfflush\b/ },
  { label: "  its inspector call (V8's console.log)", pattern: /v8::internal::Builtin_ConsoleLog/ },
  { label: "JSON.stringify (all, the response's too)", pattern: /Builtins_JsonStringify \[/ },
  { label: "  its slow path", pattern: /JsonStringifier::Serialize_<false>/ },
  { label: "request.cf (parsed and frozen)", pattern: /CfProperty::getRef/ },
  { label: "Headers.get", pattern: /workerd::api::Headers::get\(/ },
  { label: "tracing: getActiveSpan()", pattern: /Tracing::getActiveSpan/ },
  { label: "tracing: ctx.tracing (its getters)", pattern: /GetterCallback.*16ExecutionContext/ },
  { label: "V8's garbage collection", pattern: /v8::internal::Heap::CollectGarbage\(/ },
];

async function send(workerd: Workerd, path: string, token: string, count: number): Promise<void> {
  let left = count;
  const worker = async () => {
    while (left-- > 0) {
      const response = await fetch(`${workerd.base}${path}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** The dump callgrind_control wrote last in `dir`. */
function newestDump(dir: string, before: Set<string>): string {
  const fresh = readdirSync(dir).filter(
    (name) => name.startsWith("callgrind.out.") && !before.has(name),
  );
  const file = fresh.sort().at(-1);
  if (!file) throw new Error(`callgrind wrote no dump in ${dir}`);
  return join(dir, file);
}

function totalOf(dump: string): number {
  const match = /^(?:summary|totals):\s+(\d+)/m.exec(readFileSync(dump, "utf8"));
  if (!match) throw new Error(`no totals in ${dump}`);
  return Number(match[1]);
}

function inclusiveOf(dump: string): number[] {
  const annotated = execFileSync(
    "callgrind_annotate",
    ["--inclusive=yes", "--threshold=100", dump],
    { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
  ).split("\n");
  return FUNCTIONS.map(({ pattern }) => {
    const counts = annotated
      .filter((line) => pattern.test(line))
      .map((line) => Number(/^\s*([\d,]+)/.exec(line)?.[1]?.replaceAll(",", "") ?? 0));
    // A function listed under several names (inlined copies): the largest is the outermost.
    return Math.max(0, ...counts);
  });
}

export type Counted = { perRequest: number[]; functions: number[] };

/** Counts the instructions per read of one workerd already started under callgrindWrapper(dir). */
export async function countInstructions(
  workerd: Workerd,
  dir: string,
  path: string,
  token: string,
): Promise<Counted> {
  await send(workerd, path, token, WARMUP);
  const perRequest: number[] = [];
  let dump = "";
  for (let w = 0; w < WINDOWS; w++) {
    const before = new Set(readdirSync(dir));
    execFileSync("callgrind_control", ["--zero", String(workerd.pid)], { stdio: "ignore" });
    await send(workerd, path, token, REQUESTS);
    // Let the last responses' tails (the log line is written as the answer goes out) finish.
    await sleep(300);
    execFileSync("callgrind_control", ["--dump", String(workerd.pid)], { stdio: "ignore" });
    dump = newestDump(dir, before);
    perRequest.push(totalOf(dump) / REQUESTS);
  }
  // Where the work went, from the last window's dump (callgrind_annotate reads all of it).
  return { perRequest, functions: inclusiveOf(dump).map((count) => count / REQUESTS) };
}

export function reportInstructions(rows: { name: string; counted: Counted }[]): void {
  const base = rows[0]?.counted.perRequest;
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  console.log(
    `\nInstructions per authenticated read (callgrind; ${WARMUP} reads of warm-up, then ${WINDOWS} windows of ${REQUESTS}):`,
  );
  console.log(
    "variant                                          instructions/read (windows)          vs nothing   added",
  );
  for (const { name, counted } of rows) {
    const value = mean(counted.perRequest);
    const plain = base ? mean(base) : value;
    const windows = counted.perRequest.map((v) => Math.round(v).toLocaleString("en")).join(" / ");
    const versus = `${value >= plain ? "+" : ""}${((value / plain - 1) * 100).toFixed(2)} %`;
    console.log(
      `${name.padEnd(49)}${windows.padStart(36)}${versus.padStart(13)}${Math.round(value - plain)
        .toLocaleString("en")
        .padStart(9)}`,
    );
  }
  console.log("\nWhere it went (inclusive instructions per read, last window), by variant:");
  for (const [i, { name }] of rows.entries()) console.log(`  (${i + 1}) ${name}`);
  console.log(`${"".padEnd(42)}${rows.map((_, i) => `(${i + 1})`.padStart(11)).join("")}`);
  for (const [i, { label }] of FUNCTIONS.entries()) {
    const counts = rows.map(({ counted }) =>
      Math.round(counted.functions[i] ?? 0)
        .toLocaleString("en")
        .padStart(11),
    );
    console.log(`${label.padEnd(42)}${counts.join("")}`);
  }
}
