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
