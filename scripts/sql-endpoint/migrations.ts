// Applies the drizzle migrations of `drizzle/` to a database the endpoint opens, on either
// backend, and reads from them which Postgres extensions PGlite has to load first.
import { readdir, readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Extension, PGlite } from "@electric-sql/pglite";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type pg from "pg";

// Any constant works; it only has to be the same in every process migrating this server.
const MIGRATION_LOCK_KEY = 727_274_001;

export async function migratePgliteClient(client: PGlite, migrationsFolder: string): Promise<void> {
  await migratePglite(drizzlePglite({ client }), { migrationsFolder });
}

/** The advisory lock is held until `client` disconnects. */
export async function migratePgClient(client: pg.Client, migrationsFolder: string): Promise<void> {
  // Serializes migrations across processes sharing this server (dev server and tests).
  await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
  await migrateNodePg(drizzleNodePg({ client }), { migrationsFolder });
}

// PGlite can only CREATE EXTENSION what was loaded into it at start-up, so load the contrib
// extensions the migrations ask for (pg_trgm, say).
export async function pgliteExtensions(
  migrationsFolder: string,
): Promise<Record<string, Extension>> {
  const names = new Set<string>();
  for (const file of await readdir(migrationsFolder)) {
    if (!file.endsWith(".sql")) continue;
    const text = await readFile(resolve(migrationsFolder, file), "utf8");
    for (const match of text.matchAll(
      /create\s+extension\s+(?:if\s+not\s+exists\s+)?"?([\w-]+)"?/gi,
    )) {
      if (match[1]) names.add(match[1].toLowerCase().replace(/-/g, "_"));
    }
  }
  names.delete("plpgsql");
  const extensions: Record<string, Extension> = {};
  for (const name of names) {
    let module: Record<string, Extension | undefined>;
    try {
      module = await import(`@electric-sql/pglite/contrib/${name}`);
    } catch {
      throw new Error(`the migrations create extension ${name}, which PGlite does not provide`);
    }
    const extension = module[name];
    if (!extension) throw new Error(`PGlite's contrib/${name} does not export ${name}`);
    extensions[name] = extension;
  }
  return extensions;
}
