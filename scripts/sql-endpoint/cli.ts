// The local SQL endpoint as a program of its own, serving the databases named by --database (at
// least one) on 127.0.0.1. It prints the connection string the Worker must use: its password is
// the secret this run generated.
//
//   node scripts/sql-endpoint/cli.ts --database NAME [--database NAME ...] [--port 8788]
//     [--database-url URL | --data-dir DIR]
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { messageOf } from "./http.ts";
import { startSqlEndpoint } from "./server.ts";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: process.env.SQL_ENDPOINT_PORT ?? "8788" },
      database: { type: "string", multiple: true, default: [] },
      "database-url": { type: "string" },
      "data-dir": { type: "string" },
      migrations: { type: "string", default: resolve(import.meta.dirname, "../../drizzle") },
    },
  });
  if (values["database-url"] && values["data-dir"]) {
    throw new Error("pass --database-url or --data-dir, not both");
  }
  const [first] = values.database;
  if (first === undefined) throw new Error("name the databases to serve: --database NAME");
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`invalid --port ${values.port}`);
  }
  const endpoint = await startSqlEndpoint({
    backend: values["database-url"]
      ? { kind: "pg", url: values["database-url"] }
      : { kind: "pglite", dataDir: values["data-dir"] },
    migrationsFolder: values.migrations,
    databases: values.database,
    port,
    log: (line) => console.log(line),
  });
  console.log(`SQL endpoint ready: ${endpoint.url}`);
  console.log(`Worker setting: NEON_FETCH_ENDPOINT=${endpoint.url}`);
  console.log(
    `Worker setting: DATABASE_URL=postgres://local:${endpoint.secret}@localhost/${first}`,
  );
  const stop = () => {
    endpoint.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(messageOf(error));
  process.exit(1);
});
