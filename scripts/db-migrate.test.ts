import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { migrationTarget, pgConnectionString } from "./db-migrate.ts";

const neon = "postgresql://app:secret@ep-cool-1234.eu-central-1.aws.neon.tech/neondb";

describe("npm run db:migrate", () => {
  it("takes DATABASE_URL from the environment first, then from .dev.vars", () => {
    const devVars = { DATABASE_URL: "postgres://postgres@127.0.0.1:5432/dev" };
    expect(migrationTarget({ DATABASE_URL: neon }, devVars)).toEqual({
      kind: "database",
      url: neon,
      source: "the environment",
    });
    expect(migrationTarget({}, devVars)).toEqual({
      kind: "database",
      url: devVars.DATABASE_URL,
      source: ".dev.vars",
    });
  });

  it("has nothing to do for the embedded database, and says what is missing", () => {
    const embedded = { DATABASE_URL: "postgres://local@pglite/user_api" };
    expect(migrationTarget({}, embedded)).toEqual({ kind: "embedded", source: ".dev.vars" });
    expect(migrationTarget({}, undefined)).toEqual({ kind: "missing" });
    expect(migrationTarget({ DATABASE_URL: "" }, {})).toEqual({ kind: "missing" });
  });

  it("asks for verify-full where a Neon URL says require, which is what node-postgres does", () => {
    expect(pgConnectionString(`${neon}?sslmode=require`)).toEqual({
      url: `${neon}?sslmode=verify-full`,
      note: expect.stringContaining("verify-full"),
    });
    expect(pgConnectionString(neon)).toEqual({ url: neon });
    expect(pgConnectionString(`${neon}?sslmode=disable`)).toEqual({
      url: `${neon}?sslmode=disable`,
    });
  });

  it.each([
    // A host that does not resolve (.invalid never does), with Neon's sslmode=require.
    ["postgresql://app:s3cret-pass@ep-gone.invalid/neondb?sslmode=require", "ENOTFOUND"],
    // Nothing listens on port 1.
    ["postgresql://app:s3cret-pass@127.0.0.1:1/neondb", "ECONNREFUSED"],
  ])("says why it failed against %s: host, code and message, no warning", (url, code) => {
    const run = migrateWith(url);
    expect(run.status).toBe(1);
    const host = new URL(url).host;
    expect(run.stderr).toMatch(new RegExp(`Migrations failed: host ${host}, code ${code}: \\S`));
    expect(run.stderr).not.toContain("SECURITY WARNING");
    expect(run.stdout + run.stderr).not.toContain("s3cret-pass");
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    "applies the migrations to the database the environment names",
    async () => {
      const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await admin.connect();
      const name = `migrate_${randomBytes(6).toString("hex")}`;
      await admin.query(`create database ${name}`);
      try {
        const url = new URL(process.env.TEST_DATABASE_URL as string);
        url.pathname = `/${name}`;
        const run = migrateWith(url.toString());
        expect(run.status, run.stdout + run.stderr).toBe(0);
        expect(run.stdout).toContain("(from the environment)");
        expect(run.stdout).toContain("Migrations applied.");
        const client = new pg.Client({ connectionString: url.toString() });
        await client.connect();
        const tables = await client.query("select to_regclass('public.users') as users");
        await client.end();
        expect(tables.rows[0].users).toBe("users");
      } finally {
        await admin.query(`drop database if exists ${name} with (force)`);
        await admin.end();
      }
    },
  );
});

function migrateWith(databaseUrl: string) {
  return spawnSync("npx", ["tsx", "scripts/db-migrate.ts"], {
    cwd: resolve(import.meta.dirname, ".."),
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: "utf8",
  });
}
