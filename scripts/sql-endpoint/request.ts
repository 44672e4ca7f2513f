// Reads a request of Neon's SQL-over-HTTP protocol as `@neondatabase/serverless` sends it: the
// password and database of Neon-Connection-String, one statement or a transaction's statements with
// their parameters as Postgres text, and the Neon-Batch-* transaction options.
import type { IncomingMessage } from "node:http";
import type { BatchOptions, Statement } from "./database.ts";
import { HttpError, headerOf } from "./http.ts";

// Neon accepts the names Postgres accepts; we are stricter so a name is always safe to quote
// and to use as a folder name.
const DATABASE_NAME = /^[a-z0-9_]{1,63}$/;

// The driver's `isolationLevel` values, as sent in Neon-Batch-Isolation-Level.
const ISOLATION_LEVELS: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

export type ParsedRequest =
  | { kind: "single"; statement: Statement }
  | { kind: "batch"; statements: Statement[] };

/** What the endpoint reads from the connection string the driver sends: host and user do not count. */
export type ConnectionTarget = { password: string; database: string };

export function connectionTargetOf(connectionString: string | undefined): ConnectionTarget {
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
  return { password: decoded(url.password), database: decoded(url.pathname.replace(/^\//, "")) };
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function checkDatabaseName(name: string): void {
  if (!DATABASE_NAME.test(name)) {
    throw new HttpError(
      400,
      `invalid database name ${JSON.stringify(name)} in Neon-Connection-String: use 1-63 of a-z, 0-9, _`,
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function parseRequest(body: unknown): ParsedRequest {
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

export function batchOptionsOf(req: IncomingMessage): BatchOptions {
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
