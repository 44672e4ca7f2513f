// The databases the local SQL endpoint serves, on PGlite and (with TEST_DATABASE_URL)
// PostgreSQL: each name separate, migrated once however its first requests arrive, prepared again
// after a failure, and PGlite's data folder.
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NeonQueryFunction, neon } from "@neondatabase/serverless";
import { beforeAll, describe, expect, it } from "vitest";
import { endpointFixture, userValues } from "./endpoint-fixture.ts";
import { type SqlEndpoint, startSqlEndpoint } from "./index.ts";
import {
  backends,
  connectionString,
  isRandomName,
  journalLength,
  migrationsFolder,
  post,
} from "./test-support.ts";

describe.each(backends)("local SQL endpoint on %s: its databases", (_label, backend) => {
  const fixture = endpointFixture(backend);
  const database = () => fixture.database();
  let endpoint: SqlEndpoint;
  let sql: NeonQueryFunction<false, false>;
  beforeAll(() => {
    ({ endpoint, sql } = fixture);
  });

  it("keeps each database name separate", async () => {
    const other = neon(connectionString(endpoint.secret, database()));
    const a = userValues();
    await sql`insert into users (id, username, email, first_name, last_name, password_hash)
      values (${a.id}, ${a.username}, ${a.email}, 'A', 'B', 'h')`;
    await expect(sql`select count(*)::int4 as n from users where id = ${a.id}`).resolves.toEqual([
      { n: 1 },
    ]);
    await expect(other`select count(*)::int4 as n from users`).resolves.toEqual([{ n: 0 }]);
  }, 60_000);

  it("migrates a new database once when its first requests arrive together", async () => {
    const fresh = neon(connectionString(endpoint.secret, database()));
    const expected = await journalLength();
    const rows = await Promise.all(
      Array.from(
        { length: 10 },
        () => fresh`select count(*)::int4 as n from drizzle.__drizzle_migrations`,
      ),
    );
    expect(rows).toEqual(Array.from({ length: 10 }, () => [{ n: expected }]));
  }, 60_000);

  it("retries a database whose preparation failed on the next request", async () => {
    const folder = await mkdtemp(join(tmpdir(), "sql-endpoint-migrations-"));
    const second = await startSqlEndpoint({
      backend,
      migrationsFolder: folder,
      databases: isRandomName,
    });
    const name = database();
    try {
      // No journal yet: drizzle's migrator fails.
      const failed = await post(second, { query: "select 1", params: [] }, name);
      expect(failed.status).toBe(500);
      expect(failed.body.message).toMatch(/could not prepare database/);

      await cp(migrationsFolder, folder, { recursive: true });
      const retried = await post(
        second,
        { query: "select count(*)::int4 from drizzle.__drizzle_migrations", params: [] },
        name,
      );
      expect(retried.status).toBe(200);
      expect(retried.body.rows).toEqual([[String(await journalLength())]]);
    } finally {
      await second.close();
      await rm(folder, { recursive: true, force: true });
    }
    // Two preparations of a fresh PGlite database: 17 s alone, over 30 s beside the workerd tests.
  }, 60_000);

  it.runIf(backend.kind === "pglite")(
    "keeps PGlite data in dataDir across restarts without migrating again",
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), "sql-endpoint-pglite-"));
      const name = "persisted";
      const a = userValues();
      try {
        const first = await startSqlEndpoint({
          backend: { kind: "pglite", dataDir },
          migrationsFolder,
          databases: [name],
        });
        const inserted = await post(
          first,
          {
            query: `insert into users (id, username, email, first_name, last_name, password_hash)
              values ($1, $2, $3, 'A', 'B', 'h')`,
            params: [a.id, a.username, a.email],
          },
          name,
        );
        expect(inserted.status).toBe(200);
        await first.close();

        const again = await startSqlEndpoint({
          backend: { kind: "pglite", dataDir },
          migrationsFolder,
          databases: [name],
        });
        try {
          const found = await post(
            again,
            {
              query: `select (select email from users where id = $1),
                (select count(*)::int4 from drizzle.__drizzle_migrations)`,
              params: [a.id],
            },
            name,
          );
          expect(found.body.rows).toEqual([[a.email, String(await journalLength())]]);
        } finally {
          await again.close();
        }
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
