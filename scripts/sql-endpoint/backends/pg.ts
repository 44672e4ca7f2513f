// The PostgreSQL backend: a real server reached with `pg`, one database on it per name (created
// when missing), each served by a pool of connections that return Postgres text values.
import pg from "pg";
import {
  commandOf,
  type Database,
  isDatabaseError,
  type Log,
  type Opener,
  type Statement,
  type StatementResult,
  toText,
  transactionModes,
} from "../database.ts";
import { migratePgClient } from "../migrations.ts";

// Keep every value as the server's text output: the driver parses by dataTypeID itself.
const textTypes = {
  getTypeParser: () => (value: string) => value,
} as unknown as pg.CustomTypesConfig;

export function pgOpener(serverUrl: string, migrationsFolder: string, log: Log): Opener {
  return async (name: string): Promise<Database> => {
    const url = withDatabase(serverUrl, name);
    const client = await connectOrCreate(serverUrl, url, name, log);
    try {
      await migratePgClient(client, migrationsFolder);
    } finally {
      await client.end().catch(() => {});
    }
    log(`sql-endpoint: database "${name}" ready (PostgreSQL, migrations applied)`);
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      // Neon sessions run in UTC; keep timestamptz text the same whatever the local server says.
      options: "-c TimeZone=UTC",
      types: textTypes,
    });
    // A connection the server ends (pg_terminate_backend, a restart) emits 'error' on its client,
    // checked out or idle, and an idle one on the pool too: unheard, either event would crash
    // the process. The pool drops such a connection and opens a new one when next asked.
    pool.on("connect", (client) => client.on("error", connectionError(log, name)));
    pool.on("error", () => {});
    return pgDatabase(pool);
  };
}

function connectionError(log: Log, name: string) {
  return (error: Error) => log(`sql-endpoint: connection to "${name}": ${error.message}`);
}

/** A client that reports the server ending its connection instead of crashing the process. */
function newClient(connectionString: string, name: string, log: Log): pg.Client {
  const client = new pg.Client({ connectionString });
  client.on("error", connectionError(log, name));
  return client;
}

export function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function connectOrCreate(
  serverUrl: string,
  url: string,
  name: string,
  log: Log,
): Promise<pg.Client> {
  const client = newClient(url, name, log);
  try {
    await client.connect();
    return client;
  } catch (error) {
    // 3D000 invalid_catalog_name: the database does not exist yet.
    if ((error as { code?: unknown }).code !== "3D000") throw error;
  }
  // The server URL may itself name the missing database; then ask the default one to create it.
  const adminUrl =
    new URL(serverUrl).pathname === `/${name}` ? withDatabase(serverUrl, "postgres") : serverUrl;
  const admin = newClient(adminUrl, name, log);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
    log(`sql-endpoint: created database "${name}"`);
  } catch (error) {
    // Another request or process created it first: 42P04 duplicate_database, or 23505 when
    // both inserts reach pg_database at once.
    const code = (error as { code?: unknown }).code;
    if (code !== "42P04" && code !== "23505") throw error;
  } finally {
    await admin.end().catch(() => {});
  }
  const created = newClient(url, name, log);
  await created.connect();
  return created;
}

// FATAL and PANIC errors end the session, e.g. 57P01 after pg_terminate_backend.
function endsConnection(error: unknown): boolean {
  return isDatabaseError(error) && (error.severity === "FATAL" || error.severity === "PANIC");
}

function pgDatabase(pool: pg.Pool): Database {
  async function runOne(client: pg.PoolClient, statement: Statement): Promise<StatementResult> {
    // Extended protocol always, as Neon does: one statement per query, even without params.
    const config = {
      text: statement.query,
      values: statement.params,
      rowMode: "array" as const,
      queryMode: "extended",
    };
    const result = await client.query(config);
    return {
      command: result.command ?? commandOf(statement.query),
      rowCount: result.rowCount ?? null,
      fields: result.fields.map((field) => ({
        name: field.name,
        dataTypeID: field.dataTypeID,
        tableID: field.tableID,
        columnID: field.columnID,
        dataTypeSize: field.dataTypeSize,
        dataTypeModifier: field.dataTypeModifier,
        format: "text",
      })),
      rows: (result.rows as unknown[][]).map((row) => row.map(toText)),
    };
  }

  // A connection that failed outside Postgres' own error handling, or that Postgres ended itself,
  // is discarded, not reused.
  async function withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (error) {
      if (!isDatabaseError(error) || endsConnection(error)) {
        broken = error instanceof Error ? error : new Error(String(error));
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  return {
    run: (statement) =>
      withClient(async (client) => {
        const result = await runOne(client, statement);
        // A stray BEGIN must not hand a pooled connection back inside a transaction.
        if (result.command === "BEGIN" || result.command === "START") {
          await client.query("ROLLBACK");
        }
        return result;
      }),
    batch: (statements, options) =>
      withClient(async (client) => {
        await client.query(`BEGIN ${transactionModes(options)}`.trim());
        try {
          const results: StatementResult[] = [];
          for (const statement of statements) results.push(await runOne(client, statement));
          await client.query("COMMIT");
          return results;
        } catch (error) {
          // A transaction whose connection Postgres ended is over already.
          if (!endsConnection(error)) await client.query("ROLLBACK");
          throw error;
        }
      }),
    close: () => pool.end(),
  };
}
