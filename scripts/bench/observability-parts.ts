// The parts of what observing a request costs, one by one, for observability.ts: each part run
// many times in a loop inside one request to a small Worker of its own on workerd (the same
// compatibility date and flags as the API), its cost being the CPU time of workerd's threads
// over the loop (/proc schedstat, in ns) less an empty loop's, per iteration. A loop of one
// operation is the floor of what it costs in a real request (warm code, no cache misses from the
// rest of the request), but it is steady to a few per cent, where a whole request's CPU varies by
// more than the parts themselves: it says which part is worth cutting.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startProcess, threadCpuNanoseconds } from "./processes.ts";
import { workerdBin } from "./settings.ts";
import { compatibility, freePort } from "./workerd.ts";

/** What the request log line looks like (middleware/request-log.ts), with a user. */
const LINE = {
  level: "info",
  event: "request",
  request_id: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
  method: "GET",
  route: "/users/{id}",
  status: 200,
  duration_ms: 1.3,
  db_trips: 1,
  db_ms: 1.1,
  user: "AbCdEfGhIjKlMnOp",
};

const PARTS: { id: string; name: string; async?: boolean }[] = [
  { id: "logLine", name: "the line: JSON.stringify + console.log (to workerd's stdout)" },
  { id: "stringify", name: "JSON.stringify of the line alone" },
  { id: "asyncContext", name: "AsyncLocalStorage.run around one async step", async: true },
  { id: "asyncStep", name: "  the same async step without it (subtract)", async: true },
  { id: "activeSpan", name: "ctx.tracing.getActiveSpan()?.isTraced" },
  { id: "dataPoint", name: "a data point: its arrays, to a binding that keeps nothing" },
  { id: "now", name: "performance.now()" },
];

const WORKER = `import { AsyncLocalStorage } from "node:async_hooks";
const storage = new AsyncLocalStorage();
const line = ${JSON.stringify(LINE)};
const dataset = { writeDataPoint() {} };
let sink = 0;
const step = async () => { await null; sink += storage.getStore() ? 1 : 0; };
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const part = url.searchParams.get("part");
    const n = Number(url.searchParams.get("n"));
    for (let i = 0; i < n; i++) {
      switch (part) {
        case "logLine": console.log(JSON.stringify(line)); break;
        case "stringify": sink += JSON.stringify(line).length; break;
        case "asyncContext": await storage.run(line, step); break;
        case "asyncStep": await step(); break;
        case "activeSpan": sink += ctx.tracing?.getActiveSpan?.()?.isTraced ? 1 : 0; break;
        case "dataPoint":
          dataset.writeDataPoint({ indexes: ["request"], blobs: ["", line.route, "", "", "", ""], doubles: [1, 200, line.duration_ms, 1, line.db_ms] });
          break;
        case "now": sink += performance.now(); break;
        default: sink++;
      }
    }
    return new Response(String(sink));
  },
};
`;

const ITERATIONS = 100_000;
const PASSES = 7;

/** Each part's cost in ns per operation: the median of PASSES loops, less the empty loop's. */
export async function measureParts(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "user-api-observability-parts-"));
  let child: ReturnType<typeof startProcess> | undefined;
  try {
    const port = await freePort();
    const { date, flags } = compatibility();
    await writeFile(join(dir, "parts.js"), WORKER);
    await writeFile(
      join(dir, "parts.capnp"),
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "parts", worker = .parts)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "parts")],
);
const parts :Workerd.Worker = (
  modules = [(name = "parts.js", esModule = embed "parts.js")],
  compatibilityDate = ${JSON.stringify(date)},
  compatibilityFlags = ${flags},
);
`,
    );
    child = startProcess(workerdBin, ["serve", join(dir, "parts.capnp")], {
      stdin: "ignore",
      stderr: "inherit",
    });
    // The log lines go to a pipe that is read, as the API's do in observability.ts.
    child.stdout?.resume();
    const pid = child.pid;
    if (pid === undefined) throw new Error("workerd did not start");
    const run = async (part: string, n: number) => {
      const response = await fetch(`http://127.0.0.1:${port}/?part=${part}&n=${n}`);
      await response.text();
      if (!response.ok) throw new Error(`the parts Worker answered ${response.status}`);
    };
    for (let tries = 0; ; tries++) {
      try {
        await run("empty", 1);
        break;
      } catch (error) {
        if (tries > 100) throw error;
        await sleep(100);
      }
    }
    const perOperation = new Map<string, number[]>();
    for (let pass = 0; pass < PASSES; pass++) {
      for (const { id, async } of [{ id: "empty", async: false }, ...PARTS]) {
        // Fewer of the slow ones: each pass takes about as long.
        const n = async || id === "logLine" ? ITERATIONS / 10 : ITERATIONS;
        await run(id, n / 10); // warm
        const before = threadCpuNanoseconds(pid);
        await run(id, n);
        const spent = (threadCpuNanoseconds(pid) - before) / n;
        perOperation.set(id, [...(perOperation.get(id) ?? []), spent]);
      }
    }
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
    const empty = median(perOperation.get("empty") ?? []);
    console.log(
      `\nThe parts one by one (a loop in one request on workerd, ns per operation, median of ${PASSES} passes, less an empty loop's ${empty.toFixed(0)} ns):`,
    );
    for (const { id, name } of PARTS) {
      const values = perOperation.get(id) ?? [];
      console.log(
        `${name.padEnd(64)}${(median(values) - empty).toFixed(0).padStart(8)}   (passes: ${values.map((v) => v.toFixed(0)).join(" ")})`,
      );
    }
  } finally {
    child?.kill("SIGTERM");
    await rm(dir, { recursive: true, force: true });
  }
}
