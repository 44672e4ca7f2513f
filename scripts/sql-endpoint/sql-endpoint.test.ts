// The local SQL endpoint, driven by the real @neondatabase/serverless driver (and drizzle's
// neon-http session), against embedded PGlite and, when TEST_DATABASE_URL is set, PostgreSQL.
import { randomBytes, randomUUID } from "node:crypto";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NeonQueryFunction, neon, neonConfig } from "@neondatabase/serverless";
import { eq } from "drizzle-orm";
import { drizzle, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import { boolean, integer, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SqlEndpoint, startSqlEndpoint } from "./index.ts";
import {
  backends,
  connectionString,
  dropDatabases,
  isRandomName,
  journalLength,
  migrationsFolder,
  post,
  randomName,
} from "./test-support.ts";

// Just the columns these tests touch; the real schema lives in src/db/schema.ts.
const userRole = pgEnum("user_role", ["ADMIN", "USER"]);
const users = pgTable("users", {
  id: uuid("id").primaryKey(),
  username: text("username").notNull(),
  email: text("email").notNull(),
  firstName: text("first_name").notNull(),
  lastName: text("last_name").notNull(),
  passwordHash: text("password_hash").notNull(),
  role: userRole("role").notNull().default("USER"),
  active: boolean("active").notNull().default(true),
  tokenVersion: integer("token_version").notNull().default(0),
  createdAt: timestamp("created_at", { precision: 3, withTimezone: true }).notNull().defaultNow(),
});

// Creating a drizzle neon-http client swaps the driver's global date/time parsers for identity
// ones (drizzle maps those columns itself), so a raw query's timestamptz is a Date or, once
// drizzle() has run in this process, its text.
function asDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

function userValues(overrides: { email?: string; username?: string } = {}) {
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

describe.each(backends)("local SQL endpoint on %s", (_label, backend) => {
  let endpoint: SqlEndpoint;
  const databases: string[] = [];
  const mainDatabase = randomName();
  databases.push(mainDatabase);
  let sql: NeonQueryFunction<false, false>;
  let db: NeonHttpDatabase;

  function database(): string {
    const name = randomName();
    databases.push(name);
    return name;
  }

  beforeAll(async () => {
    endpoint = await startSqlEndpoint({ backend, migrationsFolder, databases: isRandomName });
    // Global in the driver; the backends' describe blocks run one after the other.
    neonConfig.fetchEndpoint = endpoint.url;
    sql = neon(connectionString(endpoint.secret, mainDatabase));
    db = drizzle({ client: sql });
    await sql`select 1`;
  }, 60_000);

  afterAll(async () => {
    await endpoint?.close();
    if (backend.kind === "pg") await dropDatabases(backend.url, databases);
  }, 60_000);

  it("answers with Postgres text values and their type OIDs", async () => {
    const { status, contentType, body } = await post(
      endpoint,
      {
        query: `select 42::int4 as i4, 9007199254740993::int8 as i8, 12.50::numeric as num,
          true as yes, false as no, 'héllo'::text as txt,
          '2026-11-27 10:22:13.175+00'::timestamptz as ts,
          '8b0c7e52-4e1f-4f4a-9d6a-0d2c1a7f5e11'::uuid as id,
          '{"a": [1, 2], "b": null}'::jsonb as doc, '\\x00ff10'::bytea as bin,
          array[1, 2, 3]::int4[] as ints, array['a', null, 'b c']::text[] as texts,
          null::text as nothing`,
        params: [],
      },
      mainDatabase,
    );
    expect(status).toBe(200);
    expect(contentType).toContain("application/json");
    expect(body).toMatchObject({ command: "SELECT", rowCount: 1, rowAsArray: true });
    expect(body.rows).toEqual([
      [
        "42",
        "9007199254740993",
        "12.50",
        "t",
        "f",
        "héllo",
        "2026-11-27 10:22:13.175+00",
        "8b0c7e52-4e1f-4f4a-9d6a-0d2c1a7f5e11",
        '{"a": [1, 2], "b": null}',
        "\\x00ff10",
        "{1,2,3}",
        '{a,NULL,"b c"}',
        null,
      ],
    ]);
    const fields = body.fields as { name: string; dataTypeID: number; format: string }[];
    expect(fields.map((f) => [f.name, f.dataTypeID])).toEqual([
      ["i4", 23],
      ["i8", 20],
      ["num", 1700],
      ["yes", 16],
      ["no", 16],
      ["txt", 25],
      ["ts", 1184],
      ["id", 2950],
      ["doc", 3802],
      ["bin", 17],
      ["ints", 1007],
      ["texts", 1009],
      ["nothing", 25],
    ]);
    expect(fields.every((f) => f.format === "text")).toBe(true);
  });

  it("hands the driver values it parses into JS types", async () => {
    const [row] = await sql`select 42::int4 as i4, 9007199254740993::int8 as i8, true as yes,
      '2026-11-27 10:22:13.175+00'::timestamptz as ts, '{"a": 1}'::jsonb as doc,
      '\\x00ff'::bytea as bin, array[1, 2]::int4[] as ints, null::int4 as nothing`;
    expect(row).toEqual({
      i4: 42,
      i8: "9007199254740993",
      yes: true,
      ts: expect.anything(),
      doc: { a: 1 },
      bin: Buffer.from([0x00, 0xff]),
      ints: [1, 2],
      nothing: null,
    });
    expect(asDate(row?.ts)).toEqual(new Date("2026-11-27T10:22:13.175Z"));
  });

  it("passes the driver's parameters to Postgres as text", async () => {
    const when = new Date("2026-01-02T03:04:05.678Z");
    const rows = await sql.query(
      `select $1::int4 + 1 as n, $2::text as t, $3::bool as b, $4::timestamptz as ts,
        $5::jsonb as j, $6::bytea as bin, $7::int4[] as arr, $8::text as nothing,
        $9::text as quote`,
      [
        41,
        "x",
        true,
        when,
        JSON.stringify({ k: [1] }),
        Buffer.from([1, 2, 3]),
        [1, 2],
        null,
        `it's "q"`,
      ],
    );
    expect(rows).toEqual([
      {
        n: 42,
        t: "x",
        b: true,
        ts: expect.anything(),
        j: { k: [1] },
        bin: Buffer.from([1, 2, 3]),
        arr: [1, 2],
        nothing: null,
        quote: `it's "q"`,
      },
    ]);
    expect(asDate(rows[0]?.ts)).toEqual(when);
  });

  it("accepts JSON numbers, booleans, arrays and objects as parameters", async () => {
    const { status, body } = await post(
      endpoint,
      {
        query: "select $1::int4 + 1, $2::bool, $3::text is null, $4::text[], $5::jsonb",
        params: [1, false, null, ["a", 'b "c"', null], { k: 1 }],
      },
      mainDatabase,
    );
    expect(status).toBe(200);
    expect(body.rows).toEqual([["2", "f", "t", '{a,"b \\"c\\"",NULL}', '{"k": 1}']]);
  });

  it("returns values of types created after start-up (an enum) as text", async () => {
    const type = `mood_${randomBytes(4).toString("hex")}`;
    await sql.query(`create type ${type} as enum ('happy', 'sad')`);
    const { body } = await post(
      endpoint,
      {
        query: `select 'happy'::${type} as one, array['sad', 'happy']::${type}[] as many,
          '${type}'::regtype::oid::int4 as oid, '${type}[]'::regtype::oid::int4 as array_oid`,
        params: [],
      },
      mainDatabase,
    );
    const [one, many, oid, arrayOid] = (body.rows as string[][])[0] ?? [];
    expect([one, many]).toEqual(["happy", "{sad,happy}"]);
    const fields = body.fields as { dataTypeID: number }[];
    expect(fields.slice(0, 2).map((f) => f.dataTypeID)).toEqual([Number(oid), Number(arrayOid)]);
    await expect(sql.query(`select 'sad'::${type} as m`)).resolves.toEqual([{ m: "sad" }]);
  });

  it("applied the drizzle migrations", async () => {
    const [row] = await sql`select to_regclass('public.users') is not null as has_users,
      (select count(*)::int4 from drizzle.__drizzle_migrations) as migrations`;
    expect(row).toEqual({ has_users: true, migrations: await journalLength() });
  });

  it("serves drizzle's neon-http session: typed rows and db.batch", async () => {
    const values = userValues();
    const [inserted, selected] = await db.batch([
      db.insert(users).values(values).returning(),
      db.select().from(users).where(eq(users.id, values.id)),
    ]);
    expect(inserted).toHaveLength(1);
    expect(selected).toHaveLength(1);
    const user = selected[0];
    expect(user).toMatchObject({ ...values, role: "USER", active: true, tokenVersion: 0 });
    expect(user?.createdAt).toBeInstanceOf(Date);
    expect(Math.abs((user?.createdAt.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it("surfaces a unique violation with code 23505 and the constraint name", async () => {
    const first = userValues();
    await db.insert(users).values(first);
    const duplicate = userValues({ email: first.email.toUpperCase() });
    await expect(
      sql`insert into users (id, username, email, first_name, last_name, password_hash)
        values (${duplicate.id}, ${duplicate.username}, ${duplicate.email}, 'A', 'B', 'h')`,
    ).rejects.toMatchObject({
      name: "NeonDbError",
      code: "23505",
      constraint: "users_email_lower_key",
      table: "users",
      severity: "ERROR",
    });
    // drizzle keeps the driver's error as `cause`.
    await expect(db.insert(users).values(duplicate)).rejects.toMatchObject({
      cause: { code: "23505", constraint: "users_email_lower_key" },
    });
  });

  it("reports a syntax error as 42601 with its position", async () => {
    await expect(sql`selec 1`).rejects.toMatchObject({ code: "42601", position: "1" });
  });

  it("runs one statement per query, as Neon does", async () => {
    await expect(sql.query("select 1; select 2")).rejects.toMatchObject({ code: "42601" });
  });

  it("commits every statement of a transaction", async () => {
    const a = userValues();
    const b = userValues();
    const results = await sql.transaction([
      sql`insert into users (id, username, email, first_name, last_name, password_hash)
        values (${a.id}, ${a.username}, ${a.email}, 'A', 'B', 'h') returning id`,
      sql`insert into users (id, username, email, first_name, last_name, password_hash)
        values (${b.id}, ${b.username}, ${b.email}, 'A', 'B', 'h') returning id`,
      sql`select count(*)::int4 as n from users where id in (${a.id}, ${b.id})`,
    ]);
    expect(results).toEqual([[{ id: a.id }], [{ id: b.id }], [{ n: 2 }]]);
    const [row] = await sql`select count(*)::int4 as n from users where id in (${a.id}, ${b.id})`;
    expect(row).toEqual({ n: 2 });
  });

  it("rolls back every earlier statement when one statement of a transaction fails", async () => {
    const a = userValues();
    const b = userValues();
    await expect(
      sql.transaction([
        sql`insert into users (id, username, email, first_name, last_name, password_hash)
          values (${a.id}, ${a.username}, ${a.email}, 'A', 'B', 'h')`,
        sql`update users set first_name = 'Changed' where id = ${a.id}`,
        sql`insert into users (id, username, email, first_name, last_name, password_hash)
          values (${b.id}, ${b.username}, ${b.email}, 'A', 'B', 'h')`,
        sql`select 1 / 0`,
      ]),
    ).rejects.toMatchObject({ code: "22012" });
    const [row] = await sql`select count(*)::int4 as n from users where id in (${a.id}, ${b.id})`;
    expect(row).toEqual({ n: 0 });
  });

  it("reports affected rows for DML and returned rows for SELECT", async () => {
    const a = userValues();
    const b = userValues();
    const insert = await sql.query(
      `insert into users (id, username, email, first_name, last_name, password_hash)
        values ($1, $2, $3, 'A', 'B', 'h'), ($4, $5, $6, 'A', 'B', 'h')`,
      [a.id, a.username, a.email, b.id, b.username, b.email],
      { fullResults: true },
    );
    expect(insert).toMatchObject({ command: "INSERT", rowCount: 2, rows: [] });
    const update = await sql.query(
      "update users set active = false where id = any($1::uuid[])",
      [[a.id, b.id]],
      { fullResults: true },
    );
    expect(update).toMatchObject({ command: "UPDATE", rowCount: 2 });
    const select = await sql.query("select id from users where id = $1 or id = $2", [a.id, b.id], {
      fullResults: true,
    });
    expect(select).toMatchObject({ command: "SELECT", rowCount: 2 });
    const remove = await sql.query("delete from users where id = $1", [a.id], {
      fullResults: true,
    });
    expect(remove).toMatchObject({ command: "DELETE", rowCount: 1 });
  });

  it("honours the isolation level, read-only and deferrable options of a transaction", async () => {
    const show = () => [
      sql`show transaction_isolation`,
      sql`show transaction_read_only`,
      sql`show transaction_deferrable`,
    ];
    await expect(sql.transaction(show())).resolves.toEqual([
      [{ transaction_isolation: "read committed" }],
      [{ transaction_read_only: "off" }],
      [{ transaction_deferrable: "off" }],
    ]);
    await expect(
      sql.transaction(show(), { isolationLevel: "Serializable", readOnly: true, deferrable: true }),
    ).resolves.toEqual([
      [{ transaction_isolation: "serializable" }],
      [{ transaction_read_only: "on" }],
      [{ transaction_deferrable: "on" }],
    ]);
    await expect(
      sql.transaction([sql`show transaction_isolation`], { isolationLevel: "RepeatableRead" }),
    ).resolves.toEqual([[{ transaction_isolation: "repeatable read" }]]);
  });

  it("refuses a write in a read-only transaction", async () => {
    const a = userValues();
    await expect(
      sql.transaction(
        [
          sql`insert into users (id, username, email, first_name, last_name, password_hash)
            values (${a.id}, ${a.username}, ${a.email}, 'A', 'B', 'h')`,
        ],
        { readOnly: true },
      ),
    ).rejects.toMatchObject({ code: "25006" });
    const [row] = await sql`select count(*)::int4 as n from users where id = ${a.id}`;
    expect(row).toEqual({ n: 0 });
  });

  it("answers 50 concurrent requests, single queries and transactions mixed, correctly", async () => {
    await sql`create table if not exists concurrency_probe (n int4 primary key)`;
    const requests = Array.from({ length: 50 }, async (_, n) => {
      if (n % 5 === 0) {
        const [inserted, counted] = await sql.transaction([
          sql`insert into concurrency_probe (n) values (${n}) returning n`,
          sql`select count(*)::int4 as c from concurrency_probe where n = ${n}`,
        ]);
        expect(inserted).toEqual([{ n }]);
        expect(counted).toEqual([{ c: 1 }]);
        return n;
      }
      const [row] = await sql`select ${n}::int4 * 2 as doubled, pg_sleep(0) is not null as slept`;
      expect(row).toEqual({ doubled: n * 2, slept: true });
      return n;
    });
    expect(await Promise.all(requests)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    const [row] = await sql`select count(*)::int4 as c from concurrency_probe`;
    expect(row).toEqual({ c: 10 });
  });

  it("answers bad requests with 400 JSON and keeps serving", async () => {
    const notJson = await post(endpoint, "{not json", mainDatabase);
    expect(notJson.status).toBe(400);
    expect(notJson.contentType).toContain("application/json");
    expect(notJson.body.message).toMatch(/JSON/);

    const wrongShape = await post(endpoint, { sql: "select 1" }, mainDatabase);
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.body.message).toEqual(expect.any(String));

    const badParams = await post(endpoint, { query: "select 1", params: "x" }, mainDatabase);
    expect(badParams.status).toBe(400);

    const badName = await post(endpoint, { query: "select 1", params: [] }, "Bad-Name");
    expect(badName.status).toBe(400);
    expect(badName.body.message).toMatch(/database name/);

    const noHeader = await fetch(endpoint.url, {
      method: "POST",
      body: JSON.stringify({ query: "select 1", params: [] }),
    });
    expect(noHeader.status).toBe(400);
    expect(await noHeader.json()).toMatchObject({
      message: expect.stringMatching(/Neon-Connection/),
    });

    const badLevel = await post(
      endpoint,
      { queries: [{ query: "select 1", params: [] }] },
      mainDatabase,
      { "Neon-Batch-Isolation-Level": "Chaos" },
    );
    expect(badLevel.status).toBe(400);

    const get = await fetch(endpoint.url);
    expect(get.status).toBe(405);
    await get.body?.cancel();
    const elsewhere = await fetch(new URL("/other", endpoint.url), { method: "POST", body: "{}" });
    expect(elsewhere.status).toBe(404);
    await elsewhere.body?.cancel();

    await expect(sql`select 1 as ok`).resolves.toEqual([{ ok: 1 }]);
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
