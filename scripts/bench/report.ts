// What the benchmark prints: the table of every endpoint against the floors of the same run at
// each size, the cost curve over the sizes, the cron's batches, the plan summary of each
// scenario's statements, every target with PASS/MISS, and the bundle size.
import type { Measurement } from "./measure.ts";
import type { ScenarioPlans } from "./plans.ts";
import { type CurvePoint, growth, type Target } from "./targets.ts";

export type Machine = { cpus: number; cpuModel: string; node: string; workerd: string };

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function printTable(measured: Measurement[]): void {
  const rateOf = (id: string) => measured.find((m) => m.id === id)?.requestsPerSecond ?? Number.NaN;
  const health = rateOf("health");
  const ready = rateOf("ready");
  const header = [
    "endpoint",
    "conns",
    "req/s",
    "vs /health",
    "vs /ready",
    "p50 ms",
    "p99 ms",
    "CPU ms/req",
    "DB trips/req",
    "endpoint CPU ms/query",
    "PostgreSQL CPU ms/req",
  ];
  const rows = measured.map((m) => [
    m.failure === undefined ? m.name : `${m.name} (not measured)`,
    String(m.connections),
    m.requestsPerSecond.toFixed(0),
    (m.requestsPerSecond / health).toFixed(3),
    (m.requestsPerSecond / ready).toFixed(3),
    m.latencyMs.p50.toFixed(2),
    m.latencyMs.p99.toFixed(2),
    m.workerCpuMsPerRequest.toFixed(4),
    m.databaseRoundTripsPerRequest.toFixed(2),
    m.endpointCpuMsPerQuery === null ? "-" : m.endpointCpuMsPerQuery.toFixed(3),
    m.postgresCpuMsPerRequest === null ? "-" : m.postgresCpuMsPerRequest.toFixed(3),
  ]);
  printColumns(header, rows);
}

function printColumns(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const format = (row: string[]) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join("  ");
  console.log(format(header));
  console.log(format(widths.map((width) => "-".repeat(width))));
  for (const row of rows) console.log(format(row));
}

const thousands = (users: number) =>
  users >= 1_000_000 ? `${users / 1_000_000}M` : `${Math.round(users / 1_000)}k`;

/**
 * The curve: per scenario, PostgreSQL CPU, Worker CPU and p50 latency at each size, and the
 * largest size's costs over the smallest's.
 */
function printCurve(curve: CurvePoint[]): void {
  const smallest = curve[0];
  const largest = curve.at(-1);
  if (!smallest || !largest || curve.length < 2) return;
  const ms = (value: number | null) =>
    value === null || Number.isNaN(value) ? "failed" : value.toFixed(3);
  const costs: [string, (m: Measurement) => number | null][] = [
    ["PG ms", (m) => m.postgresCpuMsPerRequest],
    ["Worker ms", (m) => m.workerCpuMsPerRequest],
    ["p50 ms", (m) => m.latencyMs.p50],
  ];
  const header = [
    "endpoint",
    ...costs.flatMap(([name]) => curve.map((point) => `${name} ${thousands(point.users)}`)),
    ...costs.map(([name]) => `${name.replace(" ms", "")} x`),
  ];
  const rows = smallest.measured.map((base) => {
    const at = curve.map((point) => point.measured.find((m) => m.id === base.id));
    const last = at.at(-1);
    return [
      base.name,
      ...costs.flatMap(([, cost]) => at.map((m) => (m ? ms(cost(m)) : "-"))),
      ...costs.map(([, cost]) => {
        const [x, y] = [last ? cost(last) : null, cost(base)];
        if (x === null || y === null) return "-";
        const ratio = growth(x, y);
        return Number.isNaN(ratio) ? "failed" : ratio.toFixed(2);
      }),
    ];
  });
  console.log("");
  console.log(
    `The cost curve: per request, at ${curve.map((point) => point.users.toLocaleString("en")).join(", ")} users; "x" is ${thousands(largest.users)} over ${thousands(smallest.users)}.`,
  );
  printColumns(header, rows);
}

/** The range of each scenario's rounds behind the medians of the table. */
function printSpread(measured: Measurement[]): void {
  const count = measured[0]?.rounds?.length ?? 1;
  if (count < 2) return;
  console.log("");
  console.log(`Each figure above is the median of ${count} rounds; the rounds ranged:`);
  const width = Math.max(...measured.map((m) => m.name.length));
  for (const m of measured) {
    const rates = (m.rounds ?? []).map((r) => r.requestsPerSecond);
    const cpu = (m.rounds ?? []).map((r) => r.workerCpuMsPerRequest);
    console.log(
      `  ${m.name.padEnd(width)}  req/s ${Math.min(...rates).toFixed(0)}-${Math.max(...rates).toFixed(0)}, CPU ms/req ${Math.min(...cpu).toFixed(3)}-${Math.max(...cpu).toFixed(3)}`,
    );
  }
}

const oneLine = (query: string, length: number) => {
  const flat = query.replace(/\s+/g, " ").trim();
  return flat.length > length ? `${flat.slice(0, length - 3)}...` : flat;
};

function printPlans(plans: ScenarioPlans[], scale: string): void {
  console.log("");
  console.log(
    `Query plans at ${scale} (EXPLAIN ANALYZE of each distinct statement, rolled back; execution and planning ms, shared pages):`,
  );
  for (const { scenario, statements } of plans) {
    console.log(`  ${scenario}`);
    statements.forEach((s, i) => {
      const scans = s.error ? `not explained: ${oneLine(s.error, 100)}` : s.nodes.join("; ");
      const mark = s.seqScans.length > 0 || s.error ? "!" : " ";
      const cost =
        s.executionMs === undefined
          ? ""
          : ` (${s.executionMs.toFixed(3)} + ${s.planningMs?.toFixed(3)} ms, ${s.buffers} pages)`;
      console.log(`   ${mark}${i + 1}. ${scans || "(no table)"}${cost}  [${s.calls} calls]`);
      if (mark === "!") console.log(`       ${oneLine(s.query, 160)}`);
    });
  }
}

export type Report = {
  machine: Machine;
  database: string;
  backend: "pg" | "pglite";
  gzipKiB: number;
  curve: CurvePoint[];
  targets: Target[];
  plans?: { scenarios: ScenarioPlans[]; scale: string };
  /** one run of the cron's deletes at the largest size, one batch of each kind */
  cron?: { removed: Record<string, number>; ms: number };
  plansNote?: string;
};

export function printReport(report: Report): void {
  const { machine, curve } = report;
  console.log("");
  console.log(
    `workerd ${machine.workerd.replace(/^workerd\s*/, "")}, Node ${machine.node}, ${machine.cpus} x ${machine.cpuModel}`,
  );
  console.log(`Database: ${report.database}, through the local SQL endpoint`);
  for (const point of curve) {
    console.log("");
    console.log(`At ${point.users.toLocaleString("en")} users:`);
    printTable(point.measured);
    for (const m of point.measured) {
      if (m.failure !== undefined) console.log(`  ${m.name}: ${m.failure.slice(0, 300)}`);
    }
    printSpread(point.measured);
  }
  printCurve(curve);
  console.log("");
  console.log(
    "CPU ms/req: workerd's process CPU time (user + system, its HTTP handling included) / requests.",
  );
  console.log("DB trips/req: requests to the SQL endpoint / HTTP requests.");
  console.log(
    report.backend === "pg"
      ? "endpoint CPU ms/query: the SQL endpoint process's CPU time / SQL requests; PostgreSQL's own CPU is in its server processes, the last column."
      : "endpoint CPU ms/query: the SQL endpoint process's CPU time / SQL requests; PGlite runs in that process, so the database's CPU is included.",
  );
  if (report.backend === "pg") {
    console.log(
      "PostgreSQL CPU ms/req: the PostgreSQL backends serving this database, over the run / HTTP requests (a lower bound: a backend that exits takes its time with it).",
    );
  }
  if (report.cron) {
    const removed = Object.entries(report.cron.removed)
      .map(([kind, rows]) => `${kind} ${rows}`)
      .join(", ");
    console.log("");
    console.log(
      `The cron, one batch of each kind at the largest size: ${report.cron.ms.toFixed(0)} ms, removed ${removed}.`,
    );
  }
  if (report.plans) printPlans(report.plans.scenarios, report.plans.scale);
  if (report.plansNote) console.log(`\n${report.plansNote}`);

  console.log("");
  console.log("Targets:");
  const width = Math.max(...report.targets.map((t) => t.target.length));
  for (const t of report.targets) {
    console.log(`${t.pass ? "PASS" : "MISS"}  ${t.target.padEnd(width)}  measured ${t.shown}`);
  }
  const missed = report.targets.filter((t) => !t.pass).length;
  console.log(`${report.targets.length - missed} of ${report.targets.length} targets met.`);
  console.log("");
  console.log(`Worker bundle: ${report.gzipKiB.toFixed(1)} KiB gzipped (dist/worker.js)`);
}
