// What the benchmark prints: the table of every endpoint against the floors of the same run, the
// plan summary of each scenario's statements, every target with PASS/MISS, and the bundle size.
import type { Measurement } from "./measure.ts";
import type { ScenarioPlans } from "./plans.ts";
import type { Target } from "./targets.ts";

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
    m.name,
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
  console.log(`Query plans at ${scale} (EXPLAIN of each distinct statement the Worker sent):`);
  for (const { scenario, statements } of plans) {
    console.log(`  ${scenario}`);
    statements.forEach((s, i) => {
      const scans = s.error ? `not explained: ${oneLine(s.error, 100)}` : s.nodes.join("; ");
      const mark = s.seqScans.length > 0 || s.error ? "!" : " ";
      console.log(`   ${mark}${i + 1}. ${scans || "(no table)"}  [${s.calls} calls]`);
      if (mark === "!") console.log(`       ${oneLine(s.query, 160)}`);
    });
  }
}

export type Report = {
  machine: Machine;
  database: string;
  backend: "pg" | "pglite";
  gzipKiB: number;
  measured: Measurement[];
  targets: Target[];
  plans?: { scenarios: ScenarioPlans[]; scale: string };
  plansNote?: string;
};

export function printReport(report: Report): void {
  const { machine, measured } = report;
  console.log("");
  console.log(
    `workerd ${machine.workerd.replace(/^workerd\s*/, "")}, Node ${machine.node}, ${machine.cpus} x ${machine.cpuModel}`,
  );
  console.log(`Database: ${report.database}, through the local SQL endpoint`);
  console.log("");
  printTable(measured);
  printSpread(measured);
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
      "PostgreSQL CPU ms/req: every postgres process of this machine, over the run / HTTP requests (a lower bound: a backend that exits takes its time with it).",
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
