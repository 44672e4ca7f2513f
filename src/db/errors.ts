import { DrizzleQueryError } from "drizzle-orm";

/** What Postgres said about a failed query: drizzle keeps the driver's error on `cause`. */
export type PgError = { code?: string; constraint?: string };

/** The Postgres error behind a failed query, or undefined when the error is not the database's. */
export function pgErrorOf(error: unknown): PgError | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e.name === "NeonDbError") return e as PgError;
  }
  return undefined;
}

/**
 * Postgres codes that mean "unavailable or overloaded, try again" rather than a bug: connection
 * failures (class 08), serialization failures and deadlocks (40001, 40P01), too many connections
 * (53300) and other insufficient resources (class 53), operator intervention such as an admin
 * shutdown (57P01-57P03), and 55000 (a server not accepting connections yet).
 */
const UNAVAILABLE = /^(08...|40001|40P01|53...|57P0[1-3]|55000)$/;

/**
 * Whether the database is down, unreachable or overloaded: a driver error without a Postgres code
 * (the query never reached it), one of the codes above, or a query past its deadline (db/client.ts;
 * an answer whose body stalls fails outside the driver, as the fetch's TimeoutError).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const pg = pgErrorOf(error);
  if (pg !== undefined) return !pg.code || UNAVAILABLE.test(pg.code);
  // DOMException need not be an Error subclass: follow any object's `cause`.
  for (let e: unknown = error; typeof e === "object" && e !== null; ) {
    const { name, cause } = e as { name?: unknown; cause?: unknown };
    if (name === "TimeoutError") return true;
    e = cause;
  }
  return false;
}

/**
 * Whether the error's message may quote a query and its parameters (password hashes, token
 * hashes, addresses): drizzle's wrapper of any failed query (its `name` is plain "Error"), or the
 * driver's own error.
 */
export function quotesQuery(error: unknown): boolean {
  return error instanceof DrizzleQueryError || pgErrorOf(error) !== undefined;
}

/** The constraint a unique violation (23505) broke, if that is what the error is. */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  const pg = pgErrorOf(error);
  return pg?.code === "23505" ? pg.constraint : undefined;
}

/** A foreign key violation (23503): the row referred to is gone, such as a user deleted meanwhile. */
export function isForeignKeyViolation(error: unknown): boolean {
  return pgErrorOf(error)?.code === "23503";
}
