// Local stand-in for Neon's SQL-over-HTTP endpoint, so the Worker runs the very same
// `@neondatabase/serverless` + `drizzle-orm/neon-http` code locally as against Neon (see
// DESIGN.md, "The database path"). Behind it: embedded PGlite, or a real PostgreSQL server.
//
//   node scripts/sql-endpoint.ts [--port 8788] [--host 127.0.0.1] [--database-url URL | --data-dir DIR]

import { mkdir, readdir, readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type Extension, PGlite, type Results, type Transaction } from "@electric-sql/pglite";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { redactUrl } from "./dev-vars.ts";

export type SqlEndpointOptions = {
  backend: { kind: "pglite"; dataDir?: string } | { kind: "pg"; url: string };
  /** drizzle migrations folder, e.g. "<repo>/drizzle" */
  migrationsFolder: string;
  /** default "127.0.0.1" */
  host?: string;
  /** default 0 = pick a free port */
  port?: number;
  /** default silent */
  log?: (line: string) => void;
};

export type SqlEndpoint = {
  /** e.g. http://127.0.0.1:PORT/sql, for `neonConfig.fetchEndpoint` */
  url: string;
  port: number;
  close(): Promise<void>;
};

type Field = {
  name: string;
  dataTypeID: number;
  tableID: number;
  columnID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
  format: "text";
};

type StatementResult = {
  command: string;
  rowCount: number | null;
  fields: Field[];
  rows: (string | null)[][];
};

type Statement = { query: string; params: (string | null)[] };

type BatchOptions = { isolationLevel?: string; readOnly?: boolean; deferrable?: boolean };

type Database = {
  run(statement: Statement): Promise<StatementResult>;
  batch(statements: Statement[], options: BatchOptions): Promise<StatementResult[]>;
  close(): Promise<void>;
};

type Log = (line: string) => void;

class HttpError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

// Neon accepts the names Postgres accepts; we are stricter so a name is always safe to quote
// and to use as a folder name.
const DATABASE_NAME = /^[a-z0-9_]{1,63}$/;
const MAX_BODY_BYTES = 16 * 1024 * 1024;

// The driver's `isolationLevel` values, as sent in Neon-Batch-Isolation-Level.
const ISOLATION_LEVELS: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

const ERROR_FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

export async function startSqlEndpoint(opts: SqlEndpointOptions): Promise<SqlEndpoint> {
  const log: Log = opts.log ?? (() => {});
  const host = opts.host ?? "127.0.0.1";
  const open =
    opts.backend.kind === "pglite"
      ? pgliteOpener(opts.backend.dataDir, opts.migrationsFolder, log)
      : pgOpener(opts.backend.url, opts.migrationsFolder, log);
  const databases = databaseRegistry(open);
  let closing = false;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status >= 500) log(`sql-endpoint: ${messageOf(error)}`);
      sendJson(res, status, { message: messageOf(error) });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== "/sql") throw new HttpError(404, `no route for ${path}; POST /sql`);
    if (req.method !== "POST") {
      res.setHeader("Allow", "POST");
      throw new HttpError(405, "only POST is supported");
    }
    if (closing) throw new HttpError(503, "the SQL endpoint is shutting down");

    const body = parseJson(await readBody(req));
    const name = databaseNameOf(headerOf(req, "neon-connection-string"));
    const request = parseRequest(body);
    const batchOptions = request.kind === "batch" ? batchOptionsOf(req) : {};
    const arrayMode = headerOf(req, "neon-array-mode")?.toLowerCase() === "true";

    let database: Database;
    try {
      database = await databases.get(name);
    } catch (error) {
      throw new HttpError(500, `could not prepare database "${name}": ${messageOf(error)}`);
    }

    try {
      if (request.kind === "batch") {
        const results = await database.batch(request.statements, batchOptions);
        sendJson(res, 200, { results: results.map((r) => toWire(r, arrayMode)) });
      } else {
        sendJson(res, 200, toWire(await database.run(request.statement), arrayMode));
      }
    } catch (error) {
      if (!isDatabaseError(error)) throw error;
      sendJson(res, 400, databaseErrorBody(error));
    }
  }

  await new Promise<void>((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolvePromise();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}/sql`;
  const backendText =
    opts.backend.kind === "pglite"
      ? `PGlite ${opts.backend.dataDir ? `in ${opts.backend.dataDir}` : "in memory"}`
      : `PostgreSQL at ${redactUrl(opts.backend.url)}`;
  log(`sql-endpoint: listening on ${url} (${backendText})`);

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closed ??= (async () => {
        closing = true;
        await new Promise<void>((resolvePromise) => {
          // Requests in flight may finish; a client that keeps a socket busy must not hang
          // the shutdown.
          const timer = setTimeout(() => server.closeAllConnections(), 5_000);
          server.close(() => {
            clearTimeout(timer);
            resolvePromise();
          });
          server.closeIdleConnections();
        });
        await databases.closeAll();
        log("sql-endpoint: closed");
      })();
      return closed;
    },
  };
}

// One database per name, opened (and migrated) on first use. Concurrent first requests share
// one promise; a failed open is forgotten so the next request tries again.
function databaseRegistry(open: (name: string) => Promise<Database>) {
  const databases = new Map<string, Promise<Database>>();
  let closed = false;
  return {
    get(name: string): Promise<Database> {
      // A request cut off by close() must not open a database nobody would close.
      if (closed) return Promise.reject(new Error("the SQL endpoint is closed"));
      let database = databases.get(name);
      if (!database) {
        const opening = open(name);
        databases.set(name, opening);
        opening.catch(() => {
          if (databases.get(name) === opening) databases.delete(name);
        });
        database = opening;
      }
      return database;
    },
    async closeAll(): Promise<void> {
      closed = true;
      const all = [...databases.values()];
      databases.clear();
      await Promise.allSettled(all.map(async (database) => (await database).close()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Request parsing

type ParsedRequest =
  | { kind: "single"; statement: Statement }
  | { kind: "batch"; statements: Statement[] };

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "request body too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "request body is not valid JSON");
  }
}

function databaseNameOf(connectionString: string | undefined): string {
  if (!connectionString) throw new HttpError(400, "missing Neon-Connection-String header");
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    throw new HttpError(400, "Neon-Connection-String is not a valid URL");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new HttpError(400, "Neon-Connection-String must be a postgres:// or postgresql:// URL");
  }
  let name: string;
  try {
    name = decodeURIComponent(url.pathname.replace(/^\//, ""));
  } catch {
    name = url.pathname;
  }
  if (!DATABASE_NAME.test(name)) {
    throw new HttpError(
      400,
      `invalid database name ${JSON.stringify(name)} in Neon-Connection-String: use 1-63 of a-z, 0-9, _`,
    );
  }
  return name;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseRequest(body: unknown): ParsedRequest {
  if (isRecord(body) && Array.isArray(body.queries)) {
    return {
      kind: "batch",
      statements: body.queries.map((q, i) => parseStatement(q, `queries[${i}]`)),
    };
  }
  if (isRecord(body) && "query" in body) {
    return { kind: "single", statement: parseStatement(body, "body") };
  }
  throw new HttpError(400, "expected a JSON body {query, params} or {queries: [{query, params}]}");
}

function parseStatement(value: unknown, where: string): Statement {
  if (!isRecord(value) || typeof value.query !== "string") {
    throw new HttpError(400, `${where}: expected {query: string, params?: array}`);
  }
  const params = value.params ?? [];
  if (!Array.isArray(params)) throw new HttpError(400, `${where}.params: expected an array`);
  return { query: value.query, params: params.map(paramToText) };
}

// The driver already sends text, but JSON numbers, booleans, arrays and objects are accepted
// the way Neon's proxy takes them: as their Postgres text form.
function paramToText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return arrayLiteral(value);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function arrayLiteral(items: unknown[]): string {
  const elements = items.map((item) => {
    if (item === null || item === undefined) return "NULL";
    if (Array.isArray(item)) return arrayLiteral(item);
    return `"${(paramToText(item) ?? "").replace(/[\\"]/g, "\\$&")}"`;
  });
  return `{${elements.join(",")}}`;
}

function batchOptionsOf(req: IncomingMessage): BatchOptions {
  const options: BatchOptions = {};
  const level = headerOf(req, "neon-batch-isolation-level");
  if (level !== undefined) {
    const sqlLevel = ISOLATION_LEVELS[level];
    if (!sqlLevel) {
      throw new HttpError(
        400,
        `Neon-Batch-Isolation-Level must be one of ${Object.keys(ISOLATION_LEVELS).join(", ")}`,
      );
    }
    options.isolationLevel = sqlLevel;
  }
  const readOnly = booleanHeader(req, "neon-batch-read-only");
  if (readOnly !== undefined) options.readOnly = readOnly;
  const deferrable = booleanHeader(req, "neon-batch-deferrable");
  if (deferrable !== undefined) options.deferrable = deferrable;
  return options;
}

function booleanHeader(req: IncomingMessage, name: string): boolean | undefined {
  const value = headerOf(req, name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new HttpError(400, `${name} must be true or false`);
}

function transactionModes(options: BatchOptions): string {
  const modes: string[] = [];
  if (options.isolationLevel) modes.push(`ISOLATION LEVEL ${options.isolationLevel}`);
  if (options.readOnly !== undefined) modes.push(options.readOnly ? "READ ONLY" : "READ WRITE");
  if (options.deferrable !== undefined) {
    modes.push(options.deferrable ? "DEFERRABLE" : "NOT DEFERRABLE");
  }
  return modes.join(", ");
}

// ---------------------------------------------------------------------------------------------
// Responses

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

function toWire(result: StatementResult, arrayMode: boolean) {
  return {
    command: result.command,
    rowCount: result.rowCount,
    rows: arrayMode
      ? result.rows
      : result.rows.map((row) => Object.fromEntries(result.fields.map((f, i) => [f.name, row[i]]))),
    fields: result.fields,
    rowAsArray: arrayMode,
  };
}

type DatabaseErrorLike = Error & Partial<Record<(typeof ERROR_FIELDS)[number], unknown>>;

// Postgres errors (from pg or PGlite) carry a five-character SQLSTATE and a severity; socket
// errors such as EPIPE have a code too, but no severity.
function isDatabaseError(error: unknown): error is DatabaseErrorLike {
  if (!(error instanceof Error)) return false;
  const { code, severity } = error as DatabaseErrorLike;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && typeof severity === "string";
}

function databaseErrorBody(error: DatabaseErrorLike): Record<string, unknown> {
  const body: Record<string, unknown> = { message: error.message };
  for (const field of ERROR_FIELDS) {
    const value = error[field];
    if (value !== undefined && value !== null) body[field] = value;
  }
  return body;
}

// drizzle wraps a failed query ("Failed query: ...") and keeps Postgres' error as its cause.
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error
    ? `${error.message}\n${messageOf(error.cause)}`
    : error.message;
}

// Fallback when a backend does not report a command tag.
function commandOf(query: string): string {
  const word = /^\s*([A-Za-z]+)/.exec(query.replace(/^\s*(--[^\n]*\n|\/\*[\s\S]*?\*\/)*/, ""));
  return word?.[1]?.toUpperCase() ?? "";
}

// Only reached for values of types this process has no identity parser for yet.
function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString("hex")}`;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

// ---------------------------------------------------------------------------------------------
// PGlite backend

type TypeTable = {
  parsers: Record<number, (value: string) => string>;
  serializers: Record<number, (value: unknown) => string>;
  sizes: Map<number, number>;
};

// Postgres' default 128MB of shared buffers costs each PGlite database about 100MB more
// memory than a local database of a few thousand rows needs.
const PGLITE_CONF = ["shared_buffers=32MB"];

function pgliteOpener(dataDir: string | undefined, migrationsFolder: string, log: Log) {
  // In memory, every database starts as a copy of one migrated template: loading a data
  // directory takes a fraction of the time of initdb plus the migrations.
  let template: Promise<Blob> | undefined;
  function templateDataDir(extensions: Record<string, Extension>): Promise<Blob> {
    if (!template) {
      const making = (async () => {
        const client = await PGlite.create({ extensions, postgresqlconf: PGLITE_CONF });
        try {
          await migratePglite(drizzlePglite({ client }), { migrationsFolder });
          return await client.dumpDataDir("none");
        } finally {
          await client.close();
        }
      })();
      template = making;
      making.catch(() => {
        if (template === making) template = undefined;
      });
    }
    return template;
  }

  return async (name: string): Promise<Database> => {
    const extensions = await pgliteExtensions(migrationsFolder);
    let client: PGlite;
    if (dataDir) {
      const dir = resolve(dataDir, name);
      await mkdir(dir, { recursive: true });
      client = await PGlite.create(dir, { extensions, postgresqlconf: PGLITE_CONF });
    } else {
      client = await PGlite.create({
        extensions,
        postgresqlconf: PGLITE_CONF,
        loadDataDir: await templateDataDir(extensions),
      });
    }
    try {
      // Also on a copy of the template: a migration added since it was made still applies.
      await migratePglite(drizzlePglite({ client }), { migrationsFolder });
    } catch (error) {
      await client.close().catch(() => {});
      throw error;
    }
    log(`sql-endpoint: database "${name}" ready (PGlite, migrations applied)`);
    return pgliteDatabase(client);
  };
}

// PGlite can only CREATE EXTENSION what was loaded into it at start-up, so load the contrib
// extensions the migrations ask for (pg_trgm, say).
async function pgliteExtensions(migrationsFolder: string): Promise<Record<string, Extension>> {
  const names = new Set<string>();
  for (const file of await readdir(migrationsFolder)) {
    if (!file.endsWith(".sql")) continue;
    const text = await readFile(resolve(migrationsFolder, file), "utf8");
    for (const match of text.matchAll(
      /create\s+extension\s+(?:if\s+not\s+exists\s+)?"?([\w-]+)"?/gi,
    )) {
      if (match[1]) names.add(match[1].toLowerCase().replace(/-/g, "_"));
    }
  }
  names.delete("plpgsql");
  const extensions: Record<string, Extension> = {};
  for (const name of names) {
    let module: Record<string, Extension | undefined>;
    try {
      module = await import(`@electric-sql/pglite/contrib/${name}`);
    } catch {
      throw new Error(`the migrations create extension ${name}, which PGlite does not provide`);
    }
    const extension = module[name];
    if (!extension) throw new Error(`PGlite's contrib/${name} does not export ${name}`);
    extensions[name] = extension;
  }
  return extensions;
}

function pgliteDatabase(client: PGlite): Database {
  const exclusive = mutex();
  let types: TypeTable | undefined;

  // Read after migrations, and again whenever a result shows a type created since (an enum
  // from a later CREATE TYPE, say).
  async function typeTable(): Promise<TypeTable> {
    if (types) return types;
    const result = await client.query<[unknown, unknown]>("select oid, typlen from pg_type", [], {
      rowMode: "array",
    });
    const table: TypeTable = { parsers: {}, serializers: {}, sizes: new Map() };
    for (const [oid, typlen] of result.rows) {
      const id = Number(oid);
      table.parsers[id] = (value) => value;
      table.serializers[id] = (value) => String(value);
      table.sizes.set(id, Number(typlen));
    }
    types = table;
    return table;
  }

  async function runOne(
    target: PGlite | Transaction,
    statement: Statement,
    table: TypeTable,
  ): Promise<StatementResult> {
    const result = await target.query<unknown[]>(statement.query, statement.params, {
      rowMode: "array",
      parsers: table.parsers,
      serializers: table.serializers,
    });
    return fromPglite(result, statement.query, table);
  }

  function fromPglite(result: Results<unknown[]>, query: string, table: TypeTable) {
    let unknownType = false;
    const fields: Field[] = result.fields.map((field) => {
      const size = table.sizes.get(field.dataTypeID);
      if (size === undefined) unknownType = true;
      return {
        name: field.name,
        dataTypeID: field.dataTypeID,
        tableID: 0,
        columnID: 0,
        dataTypeSize: size ?? -1,
        dataTypeModifier: -1,
        format: "text",
      };
    });
    const command = result.command ?? commandOf(query);
    if (unknownType || /^(CREATE|ALTER|DROP)$/.test(command)) types = undefined;
    return {
      command,
      rowCount: result.rowCount ?? null,
      fields,
      rows: result.rows.map((row) => row.map(toText)),
    };
  }

  return {
    run: (statement) =>
      exclusive(async () => {
        const table = await typeTable();
        try {
          return await runOne(client, statement, table);
        } finally {
          // A stray BEGIN must not leave the one shared connection inside a transaction.
          if (client.isInTransaction()) await client.exec("ROLLBACK");
        }
      }),
    batch: (statements, options) =>
      exclusive(async () => {
        const table = await typeTable();
        return client.transaction(async (tx) => {
          const modes = transactionModes(options);
          if (modes) await tx.query(`SET TRANSACTION ${modes}`);
          const results: StatementResult[] = [];
          for (const statement of statements) results.push(await runOne(tx, statement, table));
          return results;
        });
      }),
    close: () => exclusive(() => client.close()),
  };
}

// PGlite is a single connection; queue every use so a batch owns it from BEGIN to COMMIT.
function mutex() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn);
    tail = run.catch(() => {});
    return run;
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL backend

// Any constant works; it only has to be the same in every process migrating this server.
const MIGRATION_LOCK_KEY = 727_274_001;

// Keep every value as the server's text output: the driver parses by dataTypeID itself.
const textTypes = {
  getTypeParser: () => (value: string) => value,
} as unknown as pg.CustomTypesConfig;

function pgOpener(serverUrl: string, migrationsFolder: string, log: Log) {
  return async (name: string): Promise<Database> => {
    const url = withDatabase(serverUrl, name);
    const client = await connectOrCreate(serverUrl, url, name, log);
    try {
      // Serializes migrations across processes sharing this server (dev server and tests).
      await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
      await migrateNodePg(drizzleNodePg({ client }), { migrationsFolder });
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
    pool.on("error", (error) =>
      log(`sql-endpoint: idle connection to "${name}": ${error.message}`),
    );
    return pgDatabase(pool);
  };
}

function withDatabase(serverUrl: string, name: string): string {
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
  const client = new pg.Client({ connectionString: url });
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
  const admin = new pg.Client({ connectionString: adminUrl });
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
  const created = new pg.Client({ connectionString: url });
  await created.connect();
  return created;
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

  // A connection that failed outside Postgres' own error handling is discarded, not reused.
  async function withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (error) {
      if (!isDatabaseError(error)) {
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
          await client.query("ROLLBACK");
          throw error;
        }
      }),
    close: () => pool.end(),
  };
}

// ---------------------------------------------------------------------------------------------
// CLI

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: process.env.SQL_ENDPOINT_PORT ?? "8788" },
      host: { type: "string", default: "127.0.0.1" },
      "database-url": { type: "string" },
      "data-dir": { type: "string" },
      migrations: { type: "string", default: resolve(import.meta.dirname, "../drizzle") },
    },
  });
  if (values["database-url"] && values["data-dir"]) {
    throw new Error("pass --database-url or --data-dir, not both");
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`invalid --port ${values.port}`);
  }
  const endpoint = await startSqlEndpoint({
    backend: values["database-url"]
      ? { kind: "pg", url: values["database-url"] }
      : { kind: "pglite", dataDir: values["data-dir"] },
    migrationsFolder: values.migrations,
    host: values.host,
    port,
    log: (line) => console.log(line),
  });
  console.log(`SQL endpoint ready: ${endpoint.url}`);
  console.log(`Worker setting: NEON_FETCH_ENDPOINT=${endpoint.url}`);
  const stop = () => {
    endpoint.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(messageOf(error));
    process.exit(1);
  });
}
