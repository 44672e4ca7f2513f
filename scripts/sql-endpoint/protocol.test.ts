// The local SQL endpoint's protocol, driven by the real @neondatabase/serverless driver (and
// drizzle's neon-http session), against embedded PGlite and, when TEST_DATABASE_URL is set,
// PostgreSQL: values and their types, parameters, errors, and bad requests.
import { randomBytes } from "node:crypto";
import type { NeonQueryFunction } from "@neondatabase/serverless";
import { eq } from "drizzle-orm";
import type { NeonHttpDatabase } from "drizzle-orm/neon-http";
import { beforeAll, describe, expect, it } from "vitest";
import { asDate, endpointFixture, users, userValues } from "./endpoint-fixture.ts";
import type { SqlEndpoint } from "./index.ts";
import { backends, journalLength, post } from "./test-support.ts";

describe.each(backends)("local SQL endpoint on %s: the protocol", (_label, backend) => {
  const fixture = endpointFixture(backend);
  const { mainDatabase } = fixture;
  let endpoint: SqlEndpoint;
  let sql: NeonQueryFunction<false, false>;
  let db: NeonHttpDatabase;
  beforeAll(() => {
    ({ endpoint, sql, db } = fixture);
  });

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
});
