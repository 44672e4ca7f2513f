// Runs in Node before the workerd tests: starts the local SQL endpoint (embedded PGlite, or the
// PostgreSQL server named by TEST_DATABASE_URL) and the mail sink, and hands their URLs to the
// Worker's bindings through vitest's provide/inject.
import { resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { startSqlEndpoint } from "../scripts/sql-endpoint/index.ts";
import { startMailSink } from "./mail-sink.ts";

declare module "vitest" {
  export interface ProvidedContext {
    sqlEndpointUrl: string;
    mailSinkUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const databaseUrl = process.env.TEST_DATABASE_URL;
  const endpoint = await startSqlEndpoint({
    backend: databaseUrl ? { kind: "pg", url: databaseUrl } : { kind: "pglite" },
    migrationsFolder: resolve(import.meta.dirname, "../drizzle"),
  });
  const sink = await startMailSink();
  console.log(
    `test database: ${databaseUrl ? "PostgreSQL server (TEST_DATABASE_URL)" : "embedded PGlite"}`,
  );
  project.provide("sqlEndpointUrl", endpoint.url);
  project.provide("mailSinkUrl", sink.url);
  return async () => {
    await sink.close();
    await endpoint.close();
  };
}
