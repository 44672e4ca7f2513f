// The PostgreSQL backend when the server ends its connections (pg_terminate_backend, a restart):
// the endpoint, run as a program of its own (cli.ts) so that a crash shows as a dead process, must
// stay up and answer the next query. Runs only with TEST_DATABASE_URL.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDatabase } from "./backends/pg.ts";
import {
  connect,
  dropDatabases,
  journalLength,
  post,
  randomName,
  testDatabaseUrl,
} from "./test-support.ts";

const sleepingQuery = { query: "select pg_sleep(5)", params: [] };

/** Polls `count` (a query of one int4 column `n`) until `done(n)`, for at most 10 s. */
async function waitFor(url: string, count: string, done: (n: number) => boolean): Promise<void> {
  const client = await connect(url);
  try {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(50)) {
      const { rows } = await client.query<{ n: number }>(count);
      if (done(rows[0]?.n ?? 0)) return;
    }
    throw new Error(`still waiting for: ${count}`);
  } finally {
    await client.end();
  }
}

describe.runIf(testDatabaseUrl)("local SQL endpoint on PostgreSQL losing its connections", () => {
  const serverUrl = testDatabaseUrl ?? "";
  const name = randomName();
  // vitest collects a skipped block too: without a server there is nothing to name.
  const databaseUrl = serverUrl && withDatabase(serverUrl, name);
  let child: ChildProcess;
  let endpoint: { url: string; secret: string };
  let output = "";

  const alive = () => child.exitCode === null && child.signalCode === null;
  const loggedLosses = () => output.split(`connection to "${name}"`).length - 1;
  const otherBackends =
    "select count(*)::int4 as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()";

  /** Ends every other connection to the test's database, the way the brief's operator would. */
  async function terminateBackends(): Promise<number> {
    const admin = await connect(databaseUrl);
    try {
      const { rowCount } = await admin.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
      );
      return rowCount ?? 0;
    } finally {
      await admin.end();
    }
  }

  beforeAll(async () => {
    child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(import.meta.dirname, "cli.ts"),
        ...["--database-url", serverUrl, "--database", name, "--port", "0"],
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    for (const deadline = Date.now() + 30_000; !/DATABASE_URL=\S+/.test(output); await sleep(50)) {
      if (!alive() || Date.now() > deadline) throw new Error(`cli.ts did not start:\n${output}`);
    }
    const url = /SQL endpoint ready: (\S+)/.exec(output)?.[1] ?? "";
    const secret = new URL(/DATABASE_URL=(\S+)/.exec(output)?.[1] ?? "").password;
    endpoint = { url, secret };
    expect((await post(endpoint, { query: "select 1", params: [] }, name)).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    if (child && alive()) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
    await dropDatabases(serverUrl, [name]);
  }, 60_000);

  it("survives the server terminating its connections, in use or idle, and serves the next query", async () => {
    // Connections checked out of the pool: queries still running, one inside a transaction.
    const running = [
      post(endpoint, sleepingQuery, name),
      post(endpoint, sleepingQuery, name),
      post(endpoint, { queries: [{ query: "select 1", params: [] }, sleepingQuery] }, name),
    ];
    await waitFor(
      databaseUrl,
      `${otherBackends} and state = 'active' and query like '%pg_sleep(5)%'`,
      (n) => n === 3,
    );
    expect(await terminateBackends()).toBeGreaterThanOrEqual(3);
    for (const answer of await Promise.all(running)) {
      expect(answer).toMatchObject({ status: 400, body: { code: "57P01" } });
    }
    await waitFor(databaseUrl, otherBackends, (n) => n === 0);
    const expected = await journalLength();
    const next = await post(
      endpoint,
      { query: "select count(*)::int4 from drizzle.__drizzle_migrations", params: [] },
      name,
    );
    expect(next).toMatchObject({ status: 200, body: { rows: [[String(expected)]] } });
    expect(alive()).toBe(true);

    // Connections idle in the pool: the pool hears of their end, not a request.
    await Promise.all(
      Array.from({ length: 4 }, () => post(endpoint, { query: "select 1", params: [] }, name)),
    );
    const before = loggedLosses();
    const idle = await terminateBackends();
    expect(idle).toBeGreaterThanOrEqual(1);
    for (const deadline = Date.now() + 10_000; loggedLosses() < before + idle; await sleep(50)) {
      if (!alive() || Date.now() > deadline) break;
    }
    expect(loggedLosses()).toBeGreaterThanOrEqual(before + idle);
    expect(alive()).toBe(true);
    const after = await post(endpoint, { query: "select 2 as two", params: [] }, name);
    expect(after).toMatchObject({ status: 200, body: { rows: [["2"]] } });
    expect(alive()).toBe(true);
  }, 60_000);
});
