import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Db } from "./client";

/**
 * A statement built once per database client and then reused (drizzle's `prepare()` with
 * `sql.placeholder`s): a hot request only fills in its values instead of building the SQL and
 * its result mapping again, which was a tenth of an authenticated read's CPU (BENCHMARKS.md).
 * The client lives as long as its configuration (middleware/context.ts), and so does this.
 */
export function preparedPerClient<T>(prepare: (db: Db) => T): (db: Db) => T {
  const statements = new WeakMap<Db, T>();
  return (db) => {
    let statement = statements.get(db);
    if (statement === undefined) {
      statement = prepare(db);
      statements.set(db, statement);
    }
    return statement;
  };
}

/**
 * preparedPerClient for a statement whose SQL varies with its input's shape (which filters, which
 * fields): one prepared statement per client and per shape, `shapeOf` naming the shape.
 */
export function preparedPerShape<A extends unknown[], T>(
  shapeOf: (...args: A) => string,
  prepare: (db: Db, ...args: A) => T,
): (db: Db, ...args: A) => T {
  const byShape = preparedPerClient(() => new Map<string, T>());
  return (db, ...args) => {
    const statements = byShape(db);
    const shape = shapeOf(...args);
    let statement = statements.get(shape);
    if (statement === undefined) {
      statement = prepare(db, ...args);
      statements.set(shape, statement);
    }
    return statement;
  };
}

const dialect = new PgDialect();

/** A raw statement prepared by preparedSql: its rows as the driver sends them. */
export type PreparedSql = {
  execute(values: Record<string, unknown>): Promise<{ rows: Record<string, unknown>[] }>;
};

/**
 * A raw statement (what `db.execute` runs: a data-modifying CTE, say) with `sql.placeholder`s,
 * compiled once for the client, as drizzle compiles its own prepared queries. Each run then only
 * fills in the values.
 */
export function preparedSql(db: Db, statement: SQL): PreparedSql {
  return db._.session.prepareQuery<{
    execute: { rows: Record<string, unknown>[] };
    all: unknown;
    values: unknown;
  }>(dialect.sqlToQuery(statement), undefined, undefined, false);
}
