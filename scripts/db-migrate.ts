// `npm run db:migrate`: applies the migrations of drizzle/ to DATABASE_URL, read from the
// environment or, when that is unset, from .dev.vars. Deploys run it against Neon
// (`DATABASE_URL='postgresql://...' npm run db:migrate`); the embedded database needs nothing, as
// `npm run dev` migrates it at every start.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
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
  console.log(`Applying drizzle/ to ${redactUrl(target.url)} (from ${target.source})`);
  const drizzleKit = resolve(root, "node_modules/drizzle-kit/bin.cjs");
  const result = spawnSync(process.execPath, [drizzleKit, "migrate"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, DATABASE_URL: target.url },
  });
  return result.status ?? 1;
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
