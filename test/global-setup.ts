// Runs in Node before the workerd tests: starts the local SQL endpoint (embedded PGlite, or the
// PostgreSQL server named by TEST_DATABASE_URL) and the mail sink, and hands their URLs to the
// Worker's bindings through vitest's provide/inject: DATABASE_URL carries the endpoint's secret of
// this run as its password.
import { resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { startSqlEndpoint } from "../scripts/sql-endpoint/index.ts";
import { startMailSink } from "./mail-sink.ts";

declare module "vitest" {
  export interface ProvidedContext {
    sqlEndpointUrl: string;
    databaseUrl: string;
    mailSinkUrl: string;
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
  console.log(
    `test database: ${databaseUrl ? "PostgreSQL server (TEST_DATABASE_URL)" : "embedded PGlite"}`,
  );
  project.provide("sqlEndpointUrl", endpoint.url);
  project.provide("databaseUrl", `postgres://test:${endpoint.secret}@pglite/shared`);
  project.provide("mailSinkUrl", sink.url);
  return async () => {
    await sink.close();
    await endpoint.close();
  };
}
