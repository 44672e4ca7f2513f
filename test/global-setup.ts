// Runs in Node before the workerd tests: starts the local SQL endpoint (embedded PGlite, or the
// PostgreSQL server named by TEST_DATABASE_URL) and the mail sink, and hands their URLs to the
// Worker's bindings through vitest's provide/inject: DATABASE_URL carries the endpoint's secret of
// this run as its password.
import { resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { startSqlEndpoint } from "../scripts/sql-endpoint/index.ts";
import { startFaultServer } from "./fault-server.ts";
import { startMailSink } from "./mail-sink.ts";

declare module "vitest" {
  export interface ProvidedContext {
    sqlEndpointUrl: string;
    databaseUrl: string;
    mailSinkUrl: string;
    faultServerUrl: string;
    /** The SQL endpoint behind a proxy that the fault server can stop and start. */
    proxiedSqlEndpointUrl: string;
    databaseKind: "pglite" | "pg";
    /** `npm run fuzz` sets these; `npm test` runs the bounded default. */
    fuzz: { requests?: number; seed: number };
  }
}

export default async function setup(project: TestProject) {
  const databaseUrl = process.env.TEST_DATABASE_URL;
  const endpoint = await startSqlEndpoint({
    backend: databaseUrl ? { kind: "pg", url: databaseUrl } : { kind: "pglite" },
    migrationsFolder: resolve(import.meta.dirname, "../drizzle"),
    // The bindings' default database, and each test file's own (test/helpers/worker.ts).
    databases: (name) => name === "shared" || /^t_[0-9a-f]{20}$/.test(name),
  });
  const sink = await startMailSink();
  const faults = await startFaultServer({ sqlEndpointUrl: endpoint.url });
  console.log(
    `test database: ${databaseUrl ? "PostgreSQL server (TEST_DATABASE_URL)" : "embedded PGlite"}`,
  );
  project.provide("sqlEndpointUrl", endpoint.url);
  project.provide("databaseUrl", `postgres://test:${endpoint.secret}@pglite/shared`);
  project.provide("mailSinkUrl", sink.url);
  project.provide("faultServerUrl", faults.url);
  project.provide("proxiedSqlEndpointUrl", faults.proxiedEndpointUrl);
  project.provide("databaseKind", databaseUrl ? "pg" : "pglite");
  const number = (value: string | undefined) => (value ? Number(value) : undefined);
  project.provide("fuzz", {
    requests: number(process.env.FUZZ_REQUESTS),
    // One seed for every fuzz file of the run, so the summary's seed replays all of them.
    seed: number(process.env.FUZZ_SEED) ?? Math.floor(Math.random() * 2 ** 31),
  });
  return async () => {
    await faults.close();
    await sink.close();
    await endpoint.close();
  };
}
