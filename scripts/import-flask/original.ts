// The original Flask API's users table, as its tests and its benchmark build it: the shape the
// importer reads (API.md's facts: integer ids, a role enum, naive UTC timestamps, reset columns).
import type pg from "pg";

export const ORIGINAL_SCHEMA = `
  create type role as enum ('ADMIN', 'USER');
  create table "user" (
    id serial primary key,
    username varchar(80) not null unique,
    first_name varchar(80),
    last_name varchar(80),
    email varchar(120) not null unique,
    password varchar(255) not null,
    role role not null default 'USER',
    active boolean not null default true,
    created_at timestamp without time zone not null default (now() at time zone 'UTC'),
    updated_at timestamp without time zone not null default (now() at time zone 'UTC'),
    reset_token varchar(255),
    reset_token_expires_at timestamp without time zone
  )`;

export type OriginalRow = {
  username: string;
  first_name: string | null;
  last_name: string | null;
  email: string;
  password: string;
  role: "ADMIN" | "USER";
  active: boolean;
  /** naive, read as UTC */
  created_at: string;
};

/** Inserts rows in one statement per 5,000 (unnest of arrays, so the parameters stay few). */
export async function insertOriginalUsers(client: pg.Client, rows: OriginalRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += 5_000) {
    const page = rows.slice(start, start + 5_000);
    const column = <K extends keyof OriginalRow>(key: K) => page.map((row) => row[key]);
    await client.query(
      `insert into "user" (username, first_name, last_name, email, password, role, active,
         created_at, updated_at)
       select u, f, l, e, p, r::role, a, c, c
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
         $7::boolean[], $8::timestamp[]) as t(u, f, l, e, p, r, a, c)`,
      [
        column("username"),
        column("first_name"),
        column("last_name"),
        column("email"),
        column("password"),
        column("role"),
        column("active"),
        column("created_at"),
      ],
    );
  }
}
