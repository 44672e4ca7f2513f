// scripts/concurrent-indexes.sql (README "Deploying"): an operator with large tables builds the
// indexes of migrations 0010, 0011, 0015 and 0016 with CREATE INDEX CONCURRENTLY before migrating,
// and the migrations must then find them in place and build nothing, leaving the schema a fresh
// database gets.
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrationsBefore } from "./migrations-before";

const root = resolve(import.meta.dirname, "..");
const script = readFileSync(join(root, "scripts", "concurrent-indexes.sql"), "utf8");
/** The script's statements, as psql sends them: one at a time, comments dropped. */
const statements = script
  .split("\n")
  .filter((line) => !line.startsWith("--"))
  .join("\n")
  .split(";")
  .map((statement) => statement.trim())
  .filter((statement) => statement !== "");
const FIRST_AFFECTED = "0010_list_indexes";
/**
 * The later migrations whose one index each the script builds too, for a database already past
 * 0010: from each, the indexes a database that has not had it needs.
 */
const LATER = [
  {
    tag: "0015_session_heads_index",
    indexes: ["refresh_tokens_user_family_unspent_idx", "refresh_tokens_session_idx"],
  },
  { tag: "0016_session_liveness", indexes: ["refresh_tokens_session_idx"] },
];
/** What 0016 drops, refresh_tokens_session_idx serving everything they did. */
const REPLACED = ["refresh_tokens_family_idx", "refresh_tokens_family_revoked_idx"];
const kept = (rows: { name: string }[]) => rows.filter(({ name }) => !REPLACED.includes(name));

describe.skipIf(!process.env.TEST_DATABASE_URL)("scripts/concurrent-indexes.sql", () => {
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  const suffix = `${process.pid}_${Date.now()}`;
  const names: Record<string, string> = {
    upgraded: `concurrent_${suffix}`,
    fresh: `fresh_${suffix}`,
    ...Object.fromEntries(LATER.map(({ tag }, i) => [tag, `later${i}_${suffix}`])),
  };
  const clients: pg.Client[] = [];
  const folders: string[] = [];

  async function connect(database: string): Promise<pg.Client> {
    const url = new URL(process.env.TEST_DATABASE_URL as string);
    url.pathname = `/${database}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    clients.push(client);
    return client;
  }

  /** Every index of the public tables: name, definition and the relation's identity. */
  async function indexes(client: pg.Client) {
    const { rows } = await client.query<{ name: string; definition: string; oid: number }>(
      `select indexname as name, indexdef as definition, to_regclass(indexname)::oid::int as oid
       from pg_indexes where schemaname = 'public' order by indexname`,
    );
    return rows;
  }

  beforeAll(async () => {
    await admin.connect();
    for (const name of Object.values(names)) await admin.query(`create database ${name}`);
  });

  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => {});
    for (const name of Object.values(names)) {
      await admin.query(`drop database if exists ${name} with (force)`);
    }
    await admin.end();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  it("builds what 0010, 0011 and 0015 would, so that they then build nothing", async () => {
    const upgraded = await connect(names.upgraded as string);
    const before = migrationsBefore(FIRST_AFFECTED);
    folders.push(before);
    await migrate(drizzle({ client: upgraded }), { migrationsFolder: before });

    // Each statement on its own, outside any transaction, as psql -f runs the file.
    for (const statement of statements) await upgraded.query(statement);
    const built = await indexes(upgraded);

    await migrate(drizzle({ client: upgraded }), { migrationsFolder: join(root, "drizzle") });
    const migrated = await indexes(upgraded);
    // Not one index rebuilt by the migrations: the same relations as before (later migrations
    // add tables of their own, with their indexes: those are new, not rebuilt), less the two that
    // 0016 drops.
    expect(migrated).toEqual(expect.arrayContaining(kept(built)));
    for (const name of REPLACED) expect(migrated.map((row) => row.name)).not.toContain(name);

    const fresh = await connect(names.fresh as string);
    await migrate(drizzle({ client: fresh }), { migrationsFolder: join(root, "drizzle") });
    const definitions = (rows: { name: string; definition: string }[]) =>
      rows.map(({ name, definition }) => ({ name, definition }));
    expect(definitions(migrated)).toEqual(definitions(await indexes(fresh)));
    const invalid = await upgraded.query("select 1 from pg_index where not indisvalid");
    expect(invalid.rowCount).toBe(0);
  });

  it.each(LATER)(
    "builds only the later indexes for a database before $tag",
    async ({ tag, indexes: needed }) => {
      const upgraded = await connect(names[tag] as string);
      const before = migrationsBefore(tag);
      folders.push(before);
      await migrate(drizzle({ client: upgraded }), { migrationsFolder: before });
      for (const index of needed) {
        const [statement] = statements.filter((line) => line.includes(`"${index}"`));
        expect(statement).toBeDefined();
        await upgraded.query(statement as string);
      }
      const built = await indexes(upgraded);

      await migrate(drizzle({ client: upgraded }), { migrationsFolder: join(root, "drizzle") });
      const migrated = await indexes(upgraded);
      expect(migrated).toEqual(expect.arrayContaining(kept(built)));
      expect(migrated.map(({ name }) => name)).toEqual(kept(built).map(({ name }) => name));
    },
  );

  it("is what README's deploying section tells operators to run", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    for (const statement of statements) expect(readme).toContain(`${statement};`);
  });
});
