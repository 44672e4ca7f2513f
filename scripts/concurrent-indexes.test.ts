// scripts/concurrent-indexes.sql (README "Deploying"): an operator with large tables builds the
// indexes of migrations 0010, 0011 and 0015 with CREATE INDEX CONCURRENTLY before migrating, and
// the migrations must then find them in place and build nothing, leaving the schema a fresh
// database gets.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

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
/** A later migration whose one index the script builds too, for a database already past 0010. */
const SESSION_HEADS = "0015_session_heads_index";
const SESSION_HEADS_INDEX = "refresh_tokens_user_family_unspent_idx";

/** drizzle/ up to (not including) a migration: a folder of its own with the journal cut there. */
function migrationsBefore(tag: string): string {
  const folder = mkdtempSync(join(tmpdir(), "migrations-"));
  cpSync(join(root, "drizzle"), folder, { recursive: true });
  const journalPath = join(folder, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { tag: string }[] };
  const cut = journal.entries.findIndex((entry) => entry.tag === tag);
  expect(cut).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, cut);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}

describe.skipIf(!process.env.TEST_DATABASE_URL)("scripts/concurrent-indexes.sql", () => {
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  const suffix = `${process.pid}_${Date.now()}`;
  const names = {
    upgraded: `concurrent_${suffix}`,
    fresh: `fresh_${suffix}`,
    later: `later_${suffix}`,
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
    const upgraded = await connect(names.upgraded);
    const before = migrationsBefore(FIRST_AFFECTED);
    folders.push(before);
    await migrate(drizzle({ client: upgraded }), { migrationsFolder: before });

    // Each statement on its own, outside any transaction, as psql -f runs the file.
    for (const statement of statements) await upgraded.query(statement);
    const built = await indexes(upgraded);

    await migrate(drizzle({ client: upgraded }), { migrationsFolder: join(root, "drizzle") });
    const migrated = await indexes(upgraded);
    // Not one index dropped or rebuilt by the migrations: the same relations as before (later
    // migrations add tables of their own, with their indexes: those are new, not rebuilt).
    expect(migrated).toEqual(expect.arrayContaining(built));

    const fresh = await connect(names.fresh);
    await migrate(drizzle({ client: fresh }), { migrationsFolder: join(root, "drizzle") });
    const definitions = (rows: { name: string; definition: string }[]) =>
      rows.map(({ name, definition }) => ({ name, definition }));
    expect(definitions(migrated)).toEqual(definitions(await indexes(fresh)));
    const invalid = await upgraded.query("select 1 from pg_index where not indisvalid");
    expect(invalid.rowCount).toBe(0);
  });

  it("builds 0015's index alone for a database past 0010, so that 0015 then builds nothing", async () => {
    const upgraded = await connect(names.later);
    const before = migrationsBefore(SESSION_HEADS);
    folders.push(before);
    await migrate(drizzle({ client: upgraded }), { migrationsFolder: before });
    const [statement] = statements.filter((line) => line.includes(SESSION_HEADS_INDEX));
    expect(statement).toBeDefined();
    await upgraded.query(statement as string);
    const built = await indexes(upgraded);

    await migrate(drizzle({ client: upgraded }), { migrationsFolder: join(root, "drizzle") });
    const migrated = await indexes(upgraded);
    expect(migrated).toEqual(expect.arrayContaining(built));
    expect(migrated.map(({ name }) => name)).toEqual(built.map(({ name }) => name));
  });

  it("is what README's deploying section tells operators to run", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    for (const statement of statements) expect(readme).toContain(`${statement};`);
  });
});
