// The benchmark's database side, seen from the benchmark: which backend answers, the child process
// that serves it (database-server.ts, optionally under Node's CPU profiler) and its control
// requests, SQL of the bench's own sent to the endpoint the way the Worker sends it (so it works on
// both backends), and dropping the scratch database afterwards.
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { redactUrl } from "../dev-vars.ts";
import type { Backend } from "../sql-endpoint/index.ts";
import type { RecordedStatement } from "./database-server.ts";
import { startProcess } from "./processes.ts";
import { messageOf } from "./report.ts";

// A connection the server ends mid-call fails that call; unheard, its 'error' event would also
// crash the benchmark before it cleans up.
function newClient(config: pg.ClientConfig): pg.Client {
  const client = new pg.Client(config);
  client.on("error", () => {});
  return client;
}

export async function chooseBackend(
  url: string,
): Promise<{ backend: Backend; description: string }> {
  const client = newClient({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("select 1");
    return { backend: { kind: "pg", url }, description: `PostgreSQL at ${redactUrl(url)}` };
  } catch (error) {
    console.warn(
      `Note: ${redactUrl(url)} does not answer (${messageOf(error)}); falling back to embedded PGlite. Its numbers are not comparable with PostgreSQL's.`,
    );
    return { backend: { kind: "pglite" }, description: "embedded PGlite (fallback)" };
  } finally {
    await client.end().catch(() => {});
  }
}

export type DatabaseSide = {
  sqlUrl: string;
  controlUrl: string;
  secret: string;
  database: string;
  /** the database-server process: the SQL endpoint's CPU time */
  pid: number;
  /** whether a PostgreSQL server answers (its own processes' CPU is then measured too) */
  postgres: boolean;
};

export async function startDatabase(
  backend: Backend,
  database: string,
  /** runs the server under Node's CPU profiler, which writes a .cpuprofile here when it exits */
  options: { cpuProfileDir?: string } = {},
): Promise<DatabaseSide> {
  const profile = options.cpuProfileDir;
  const child = startProcess(
    process.execPath,
    [
      ...(profile === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profile}`]),
      "--import",
      "tsx",
      join(import.meta.dirname, "database-server.ts"),
      JSON.stringify({ backend, database }),
    ],
    // Its stdin stays open while this script lives: the child's way to notice a parent that died.
    { stdin: "pipe", stderr: "inherit" },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = once(child, "exit").then(() => {
    throw new Error("the database process stopped before it was ready");
  });
  const [line] = (await Promise.race([once(lines, "line"), exited])) as [string];
  lines.close();
  if (child.pid === undefined) throw new Error("the database process has no pid");
  return {
    ...(JSON.parse(line) as DatabaseSide),
    database,
    pid: child.pid,
    postgres: backend.kind === "pg",
  };
}

async function control(side: DatabaseSide, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${side.controlUrl}${path}`, {
    method: body === undefined ? "GET" : "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`database server ${path}: ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

/** SQL requests the endpoint has had so far: the database round trips. */
export async function sqlRequests(side: DatabaseSide): Promise<number> {
  return ((await control(side, "/count")) as { requests: number }).requests;
}

/** Names the scenario the statements that follow belong to; null stops recording. */
export async function recordAs(side: DatabaseSide, label: string | null): Promise<void> {
  await control(side, "/label", { label });
}

export async function recordedStatements(
  side: DatabaseSide,
): Promise<Record<string, RecordedStatement[]>> {
  return (await control(side, "/recorded")) as Record<string, RecordedStatement[]>;
}

/** One statement of the bench's own: its rows as objects. */
export type RunSql = (
  query: string,
  params?: (string | number | null)[],
) => Promise<Record<string, unknown>[]>;

/**
 * A connection of the bench's own to one database of the server, for the bulk seeding and the
 * plans: a session of its own, where settings hold and a transaction can be rolled back.
 */
export async function connectDirectly(serverUrl: string, database: string) {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const client = newClient({ connectionString: url.toString() });
  await client.connect();
  const sql: RunSql = async (query, params = []) => (await client.query(query, params)).rows;
  return { client, sql };
}

/** One statement of the bench's own, in Neon's protocol: rows as objects of Postgres text. */
export async function runSql(
  side: DatabaseSide,
  query: string,
  params: (string | number | null)[] = [],
): Promise<Record<string, string | null>[]> {
  const response = await fetch(side.sqlUrl, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "Neon-Connection-String": `postgres://bench:${side.secret}@localhost/${side.database}`,
    },
    body: JSON.stringify({ query, params: params.map((p) => (p === null ? null : String(p))) }),
  });
  const body = (await response.json()) as {
    rows?: Record<string, string | null>[];
    message?: string;
  };
  if (!response.ok) throw new Error(body.message ?? `the SQL endpoint answered ${response.status}`);
  return body.rows ?? [];
}

/** Whether the server has a database of this name. */
export async function databaseExists(serverUrl: string, name: string): Promise<boolean> {
  const client = newClient({ connectionString: serverUrl });
  try {
    await client.connect();
    const result = await client.query("select 1 from pg_database where datname = $1", [name]);
    return result.rowCount === 1;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function dropScratchDatabase(serverUrl: string, name: string): Promise<void> {
  const client = newClient({ connectionString: serverUrl });
  try {
    await client.connect();
    // The name is ours ([a-z0-9_]), so quoting it is enough.
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } catch (error) {
    console.error(`could not drop the scratch database "${name}": ${messageOf(error)}`);
  } finally {
    await client.end().catch(() => {});
  }
}
