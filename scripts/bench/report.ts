// What the benchmark prints: the table of every endpoint against the floors of the same run, the
// bundle size, and each budget of docs/architecture.md that a result misses.
import type { Measurement } from "./measure.ts";

export type Machine = { cpus: number; cpuModel: string; node: string; workerd: string };

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function printReport(
  machine: Machine,
  database: string,
  gzipKiB: number,
  measured: Measurement[],
): void {
  const header = [
    "endpoint",
    "conns",
    "req/s",
    "vs /health",
    "vs /ready",
    "p50 ms",
    "p99 ms",
    "non-2xx",
    "CPU ms/req",
    "DB trips/req",
  ];
  const rows = measured.map((m) => [
    m.name,
    String(m.connections),
    m.requestsPerSecond.toFixed(0),
    m.relativeToHealth.toFixed(3),
    m.relativeToReady.toFixed(3),
    m.latencyMs.p50.toFixed(2),
    m.latencyMs.p99.toFixed(2),
    String(m.non2xx),
    m.workerCpuMsPerRequest.toFixed(3),
    m.databaseRoundTripsPerRequest.toFixed(2),
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

  console.log("");
  console.log(
    `workerd ${machine.workerd.replace(/^workerd\s*/, "")}, Node ${machine.node}, ${machine.cpus} x ${machine.cpuModel}`,
  );
  console.log(`Database: ${database}, through the local SQL endpoint and a counting proxy`);
  console.log("");
  console.log(format(header));
  console.log(format(widths.map((width) => "-".repeat(width))));
  for (const row of rows) console.log(format(row));
  console.log("");
  console.log(`Worker bundle: ${gzipKiB.toFixed(1)} KiB gzipped (dist/worker.js)`);
  console.log(
    "CPU ms/req: workerd's process CPU time (user + system, its HTTP handling included) / requests.",
  );
  console.log("DB trips/req: requests to the SQL endpoint / HTTP requests.");

  const overBudget: string[] = [];
  if (gzipKiB > 250) overBudget.push(`bundle ${gzipKiB.toFixed(1)} KiB gzipped > 250 KiB`);
  for (const m of measured) {
    if (m.databaseRoundTripsPerRequest > m.databaseRoundTripBudget) {
      overBudget.push(
        `${m.name}: ${m.databaseRoundTripsPerRequest.toFixed(2)} database round trips per request > ${m.databaseRoundTripBudget}`,
      );
    }
    if (m.workerCpuBudgetMs !== null && m.workerCpuMsPerRequest >= m.workerCpuBudgetMs) {
      overBudget.push(
        `${m.name}: ${m.workerCpuMsPerRequest.toFixed(3)} ms CPU per request >= ${m.workerCpuBudgetMs}`,
      );
    }
  }
  console.log("");
  console.log(
    overBudget.length === 0
      ? "Budgets (docs/architecture.md): all met."
      : `Over budget (docs/architecture.md):\n${overBudget.map((line) => `  - ${line}`).join("\n")}`,
  );
}
