/** What Postgres said about a failed query: drizzle keeps the driver's error on `cause`. */
export type PgError = { code?: string; constraint?: string };

/** The Postgres error behind a failed query, or undefined when the error is not the database's. */
export function pgErrorOf(error: unknown): PgError | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e.name === "NeonDbError") return e as PgError;
  }
  return undefined;
}

/** A driver error without a Postgres code never reached the database: it is down or unreachable. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const pg = pgErrorOf(error);
  return pg !== undefined && !pg.code;
}

/** The constraint a unique violation (23505) broke, if that is what the error is. */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  const pg = pgErrorOf(error);
  return pg?.code === "23505" ? pg.constraint : undefined;
}
