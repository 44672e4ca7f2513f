// The benchmark's database side, seen from the benchmark: which backend answers, the child process
// that serves it (database-server.ts), and dropping the scratch database afterwards.
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { redactUrl } from "../dev-vars.ts";
import type { Backend } from "../sql-endpoint/index.ts";
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

export type DatabaseSide = { sqlUrl: string; countUrl: string; secret: string };

export async function startDatabase(backend: Backend, database: string): Promise<DatabaseSide> {
  const child = startProcess(
    process.execPath,
    [
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
  return JSON.parse(line) as DatabaseSide;
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
