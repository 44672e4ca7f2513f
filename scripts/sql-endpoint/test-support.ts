// Shared by the SQL endpoint's tests: the backends to run them on, database names they may make
// up, connection strings and plain requests in the driver's protocol, and clean-up on PostgreSQL.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import pg from "pg";
import type { Backend } from "./index.ts";

export const migrationsFolder = resolve(import.meta.dirname, "../../drizzle");

export const testDatabaseUrl = process.env.TEST_DATABASE_URL;
export const backends: [string, Backend][] = [["PGlite", { kind: "pglite" }]];
if (testDatabaseUrl) backends.push(["PostgreSQL", { kind: "pg", url: testDatabaseUrl }]);

export function randomName(): string {
  return `sqlep_${randomBytes(6).toString("hex")}`;
}

/** The endpoints under test serve the names randomName() makes, and no others. */
export function isRandomName(name: string): boolean {
  return /^sqlep_[0-9a-f]{12}$/.test(name);
}

export function connectionString(secret: string, database: string): string {
  // Host and user are ignored by the endpoint; the password is its secret, the path the database.
  return `postgresql://app:${secret}@db.localtest/${database}`;
}

/** A plain HTTP request in the driver's protocol, to check the wire format itself. */
export async function post(
  endpoint: { url: string; secret: string },
  body: unknown,
  database: string,
  headers: Record<string, string> = {},
) {
  const response = await fetch(endpoint.url, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: {
      "Neon-Connection-String": connectionString(endpoint.secret, database),
      "Neon-Raw-Text-Output": "true",
      "Neon-Array-Mode": "true",
      ...headers,
    },
  });
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: (await response.json()) as Record<string, unknown>,
  };
}

export async function journalLength(): Promise<number> {
  const journal = JSON.parse(await readFile(join(migrationsFolder, "meta/_journal.json"), "utf8"));
  return (journal as { entries: unknown[] }).entries.length;
}

/** A client of the test's own: a connection the server ends fails the call, not the process. */
export async function connect(connectionString: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString });
  client.on("error", () => {});
  await client.connect();
  return client;
}

export async function dropDatabases(serverUrl: string, names: string[]): Promise<void> {
  if (names.length === 0) return;
  const admin = await connect(serverUrl);
  try {
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
