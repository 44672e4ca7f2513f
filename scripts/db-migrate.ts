// `npm run db:migrate`: applies the migrations of drizzle/ to DATABASE_URL, read from the
// environment or, when that is unset, from .dev.vars. Deploys run it against Neon
// (`DATABASE_URL='postgresql://...' npm run db:migrate`); the embedded database needs nothing, as
// `npm run dev` migrates it at every start.
//
// It runs drizzle's migrator itself (the same one, the same drizzle.__drizzle_migrations table as
// `drizzle-kit migrate`) rather than drizzle-kit's command, which exits 1 without a word when it
// cannot connect: the first deploy step must say why it failed.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { databaseTargetOf, readDevVars, redactUrl } from "./dev-vars.ts";

const root = resolve(import.meta.dirname, "..");

export type MigrationTarget =
  | { kind: "database"; url: string; source: string }
  | { kind: "embedded"; source: string }
  | { kind: "missing" };

/** Which database `npm run db:migrate` means: the environment's, else the one of .dev.vars. */
export function migrationTarget(
  env: NodeJS.ProcessEnv,
  devVars: Record<string, string> | undefined,
): MigrationTarget {
  const [url, source] = env.DATABASE_URL
    ? [env.DATABASE_URL, "the environment"]
    : [devVars?.DATABASE_URL, ".dev.vars"];
  if (!url) return { kind: "missing" };
  return databaseTargetOf(url).kind === "pglite"
    ? { kind: "embedded", source }
    : { kind: "database", url, source };
}

async function main(): Promise<number> {
  const devVarsFile = resolve(root, ".dev.vars");
  const devVars = existsSync(devVarsFile) ? await readDevVars(devVarsFile) : undefined;
  const target = migrationTarget(process.env, devVars);
  if (target.kind === "missing") {
    console.error(
      "No DATABASE_URL: set it in the environment (DATABASE_URL='postgresql://...' npm run db:migrate) or in .dev.vars.",
    );
    return 1;
  }
  if (target.kind === "embedded") {
    console.log(
      `DATABASE_URL (from ${target.source}) is the embedded PGlite database: \`npm run dev\` migrates it at every start, nothing to do.`,
    );
    return 0;
  }
  const { url, note } = pgConnectionString(target.url);
  console.log(`Applying drizzle/ to ${redactUrl(target.url)} (from ${target.source})`);
  if (note) console.log(note);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 15_000 });
  try {
    await client.connect();
    await migrate(drizzle({ client }), { migrationsFolder: resolve(root, "drizzle") });
  } catch (error) {
    console.error(`Migrations failed: ${describeFailure(error, url)}`);
    return 1;
  } finally {
    await client.end().catch(() => {});
  }
  console.log("Migrations applied.");
  return 0;
}

/**
 * node-postgres verifies the certificate for sslmode=require (like verify-full) and warns at each
 * connection that a future version will not. Neon's URLs say require; asking for verify-full says
 * what happens today and silences the warning.
 */
export function pgConnectionString(databaseUrl: string): { url: string; note?: string } {
  const url = new URL(databaseUrl);
  const mode = url.searchParams.get("sslmode");
  if (mode !== "require" && mode !== "prefer" && mode !== "verify-ca") return { url: databaseUrl };
  url.searchParams.set("sslmode", "verify-full");
  return {
    url: url.toString(),
    note: `sslmode=${mode}: connecting with verify-full (TLS with a verified certificate, as node-postgres does for ${mode} today).`,
  };
}

/** The host, code and message of a failed connection or migration, password never included. */
export function describeFailure(error: unknown, databaseUrl: string): string {
  // A refused connection to a name with several addresses is an AggregateError with no message.
  const cause =
    error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
  const { code, message } = (cause ?? {}) as { code?: unknown; message?: unknown };
  const parts = [`host ${new URL(databaseUrl).host}`];
  if (typeof code === "string" && code) parts.push(`code ${code}`);
  const text = typeof message === "string" && message ? message : String(cause);
  return `${parts.join(", ")}: ${text.replaceAll(databaseUrl, redactUrl(databaseUrl))}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
