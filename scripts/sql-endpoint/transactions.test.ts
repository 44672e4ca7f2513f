// The local SQL endpoint's transactions and concurrency, through the real driver, on PGlite and
// (with TEST_DATABASE_URL) PostgreSQL: commit, rollback, isolation options, row counts, and
// concurrent requests.
import type { NeonQueryFunction } from "@neondatabase/serverless";
import { beforeAll, describe, expect, it } from "vitest";
import { endpointFixture, userValues } from "./endpoint-fixture.ts";
import { backends } from "./test-support.ts";

describe.each(backends)("local SQL endpoint on %s: transactions", (_label, backend) => {
  const fixture = endpointFixture(backend);
  let sql: NeonQueryFunction<false, false>;
  beforeAll(() => {
    ({ sql } = fixture);
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
});
