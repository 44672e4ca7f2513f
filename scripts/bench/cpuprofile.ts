// Where a V8 CPU profile's time went: the .cpuprofile format Chrome DevTools opens, which both the
// DevTools Protocol's Profiler.stop (the Worker, profile.ts) and Node's --cpu-prof (the SQL
// endpoint) write. Functions, told apart by name, script and line, ranked by self time (samples
// taken in the function itself) and by inclusive time (samples with the function anywhere on the
// stack, counted once per sample however deep it recurses), each as a share of the samples that
// were not idle, optionally of the samples taken within given windows of time only. In an
// unminified esbuild bundle, a line is also named by the source module it came from: esbuild heads
// each module's code with a "// path" comment.
import { readFileSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { root } from "./settings.ts";

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] };
export type CpuProfile = {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
};

/** Names the source of a script's line (0-based), when more is known than the script's name. */
export type Locate = (url: string, line: number) => string | undefined;

type Row = { name: string; where: string; self: number; total: number };

export type Summary = {
  rows: Row[];
  busy: number;
  idle: number;
  durationMs: number;
  /** the median time between samples: V8 samples later than asked on a busy machine */
  medianGapMicroseconds: number;
};

/** A span of the monotonic clock that V8 stamps samples with, in µs: process.hrtime's clock. */
export type Window = { from: number; to: number };

export function monotonicMicroseconds(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function scriptName(url: string): string {
  if (!url.startsWith("file://")) return url;
  const path = fileURLToPath(url);
  return path.startsWith(root) ? relative(root, path) : basename(path);
}

export function summarize(profile: CpuProfile, locate?: Locate, windows?: Window[]): Summary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  // Samples per node: from the sample list when there is one, else from the nodes' hit counts.
  const hits = new Map<number, number>();
  let durationMs = (profile.endTime - profile.startTime) / 1000;
  const gaps: number[] = [];
  if (profile.samples) {
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      const gap = profile.timeDeltas?.[i] ?? 0;
      at += gap;
      if (windows && !windows.some((w) => w.from <= at && at <= w.to)) return;
      hits.set(id, (hits.get(id) ?? 0) + 1);
      if (i > 0) gaps.push(gap);
    });
    if (windows) durationMs = windows.reduce((sum, w) => sum + (w.to - w.from) / 1000, 0);
  } else {
    for (const node of profile.nodes) if (node.hitCount) hits.set(node.id, node.hitCount);
  }

  const rows = new Map<string, Row>();
  const rowOf = ({ functionName, url, lineNumber, columnNumber }: CallFrame): Row => {
    const key = `${functionName}\n${url}\n${lineNumber}\n${columnNumber}`;
    let row = rows.get(key);
    if (!row) {
      const script = scriptName(url);
      // A script on one line (tsx's output) needs the column to tell its functions apart.
      const column = lineNumber === 0 ? `:${columnNumber + 1}` : "";
      // No script: a V8 builtin, a Node binding or a workerd API implemented in C++; V8's own
      // entries, such as (program) and (garbage collector), are named in parentheses.
      const native = functionName.startsWith("(") ? "" : "(native)";
      const place = url ? `${script}:${lineNumber + 1}${column}` : native;
      const source = url ? locate?.(url, lineNumber) : undefined;
      row = {
        name: functionName || "(anonymous)",
        where: source ? `${source} (${place})` : place,
        self: 0,
        total: 0,
      };
      rows.set(key, row);
    }
    return row;
  };

  let busy = 0;
  let idle = 0;
  for (const [id, count] of hits) {
    const node = byId.get(id);
    if (!node) continue;
    if (node.callFrame.functionName === "(idle)") {
      idle += count;
      continue;
    }
    busy += count;
    rowOf(node.callFrame).self += count;
    const onStack = new Set<Row>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || frame.functionName === "(root)") continue;
      onStack.add(rowOf(frame));
    }
    for (const row of onStack) row.total += count;
  }
  gaps.sort((a, b) => a - b);
  const medianGapMicroseconds = gaps[gaps.length >> 1] ?? Number.NaN;
  return { rows: [...rows.values()], busy, idle, durationMs, medianGapMicroseconds };
}

function printTop(summary: Summary, key: "self" | "total", title: string, count: number): void {
  const top = summary.rows
    .filter((row) => row[key] > 0)
    .sort((a, b) => b[key] - a[key])
    .slice(0, count);
  const width = Math.min(48, Math.max(8, ...top.map((row) => row.name.length)));
  console.log(`  ${title}`);
  for (const row of top) {
    const share = `${((100 * row[key]) / summary.busy).toFixed(1)}%`.padStart(6);
    console.log(`  ${share}  ${row.name.padEnd(width)}  ${row.where}`);
  }
}

/** Prints the top `count` functions by self time and by inclusive time. */
export function printSummary(summary: Summary, count = 25): void {
  const all = summary.busy + summary.idle;
  console.log(
    `  ${summary.busy.toLocaleString("en")} non-idle samples of ${all.toLocaleString("en")} over ${(summary.durationMs / 1000).toFixed(1)} s (median gap ${summary.medianGapMicroseconds.toFixed(0)} µs); shares are of the non-idle ones.`,
  );
  if (summary.busy === 0) return;
  printTop(summary, "self", `Self time, top ${count}:`, count);
  printTop(summary, "total", `Inclusive time, top ${count}:`, count);
}

/** For the unminified bundle at `path`, served as the module `servedAs`: each line's source module. */
export function bundleModules(path: string, servedAs: string): Locate {
  const starts: { line: number; module: string }[] = [];
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((text, line) => {
      const module = /^\/\/ (\S+\.(?:[cm]?[jt]s|json))$/.exec(text)?.[1];
      if (module) starts.push({ line, module });
    });
  return (url, line) => {
    if (url !== servedAs && !url.endsWith(`/${servedAs}`)) return undefined;
    // The last module that starts at or before the line.
    let low = 0;
    let high = starts.length - 1;
    let found: string | undefined;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const start = starts[middle] as { line: number; module: string };
      if (start.line <= line) {
        found = start.module;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  };
}

/** The newest .cpuprofile in `dir` written since `since` (ms since the epoch), if any. */
export async function newestProfile(dir: string, since: number): Promise<string | undefined> {
  const files = (await readdir(dir)).filter((name) => name.endsWith(".cpuprofile"));
  const dated = await Promise.all(
    files.map(async (name) => ({ name, at: (await stat(join(dir, name))).mtimeMs })),
  );
  const newest = dated.filter((file) => file.at >= since).sort((a, b) => b.at - a.at)[0];
  return newest && join(dir, newest.name);
}
