// What the SQL endpoint's test files share: a started endpoint on each backend with the driver
// and drizzle's neon-http session pointed at it, the users columns they touch, and row values.
import { randomBytes, randomUUID } from "node:crypto";
import { type NeonQueryFunction, neon, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import { afterAll, beforeAll } from "vitest";
import { type Backend, type SqlEndpoint, startSqlEndpoint } from "./index.ts";
import {
  connectionString,
  dropDatabases,
  isRandomName,
  migrationsFolder,
  randomName,
} from "./test-support.ts";

// The app's own users table: what the migrations the endpoint applies create.
export { users } from "../../src/db/schema.ts";

// Creating a drizzle neon-http client swaps the driver's global date/time parsers for identity
// ones (drizzle maps those columns itself), so a raw query's timestamptz is a Date or, once
// drizzle() has run in this process, its text.
export function asDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

export function userValues(overrides: { email?: string; username?: string } = {}) {
  const tag = randomBytes(6).toString("hex");
  return {
    id: randomUUID(),
    username: overrides.username ?? `user_${tag}`,
    email: overrides.email ?? `user_${tag}@example.test`,
    firstName: "Ada",
    lastName: "Lovelace",
    passwordHash: "not-a-real-hash",
  };
}

export type EndpointFixture = {
  endpoint: SqlEndpoint;
  sql: NeonQueryFunction<false, false>;
  db: NeonHttpDatabase;
  mainDatabase: string;
  /** A new database name the endpoint serves, dropped after the file on PostgreSQL. */
  database(): string;
};

/**
 * Starts an endpoint on `backend` before the tests of the enclosing describe block and closes it
 * after them; the fields are set once its beforeAll has run.
 */
export function endpointFixture(backend: Backend): EndpointFixture {
  const databases: string[] = [];
  const fixture = {
    mainDatabase: randomName(),
    database() {
      const name = randomName();
      databases.push(name);
      return name;
    },
  } as EndpointFixture;
  databases.push(fixture.mainDatabase);

  beforeAll(async () => {
    fixture.endpoint = await startSqlEndpoint({
      backend,
      migrationsFolder,
      databases: isRandomName,
    });
    // Global in the driver; the backends' describe blocks run one after the other.
    neonConfig.fetchEndpoint = fixture.endpoint.url;
    fixture.sql = neon(connectionString(fixture.endpoint.secret, fixture.mainDatabase));
    fixture.db = drizzle({ client: fixture.sql });
    await fixture.sql`select 1`;
  }, 60_000);

  afterAll(async () => {
    await fixture.endpoint?.close();
    if (backend.kind === "pg") await dropDatabases(backend.url, databases);
  }, 60_000);

  return fixture;
}
