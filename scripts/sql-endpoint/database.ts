// What every backend of the local SQL endpoint provides (a `Database` per database name), and the
// helpers both backends share: transaction modes, command tags, text values, Postgres errors.

export type Backend = { kind: "pglite"; dataDir?: string } | { kind: "pg"; url: string };

export type Log = (line: string) => void;

export type Field = {
  name: string;
  dataTypeID: number;
  tableID: number;
  columnID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
  format: "text";
};

export type StatementResult = {
  command: string;
  rowCount: number | null;
  fields: Field[];
  rows: (string | null)[][];
};

export type Statement = { query: string; params: (string | null)[] };

export type BatchOptions = { isolationLevel?: string; readOnly?: boolean; deferrable?: boolean };

export type Database = {
  run(statement: Statement): Promise<StatementResult>;
  batch(statements: Statement[], options: BatchOptions): Promise<StatementResult[]>;
  close(): Promise<void>;
};

/** Opens (creating and migrating it if need be) the database of one name. */
export type Opener = (name: string) => Promise<Database>;

export const ERROR_FIELDS = [
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

export type DatabaseErrorLike = Error & Partial<Record<(typeof ERROR_FIELDS)[number], unknown>>;

// Postgres errors (from pg or PGlite) carry a five-character SQLSTATE and a severity; socket
// errors such as EPIPE have a code too, but no severity.
export function isDatabaseError(error: unknown): error is DatabaseErrorLike {
  if (!(error instanceof Error)) return false;
  const { code, severity } = error as DatabaseErrorLike;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && typeof severity === "string";
}

export function transactionModes(options: BatchOptions): string {
  const modes: string[] = [];
  if (options.isolationLevel) modes.push(`ISOLATION LEVEL ${options.isolationLevel}`);
  if (options.readOnly !== undefined) modes.push(options.readOnly ? "READ ONLY" : "READ WRITE");
  if (options.deferrable !== undefined) {
    modes.push(options.deferrable ? "DEFERRABLE" : "NOT DEFERRABLE");
  }
  return modes.join(", ");
}

// Fallback when a backend does not report a command tag.
export function commandOf(query: string): string {
  const word = /^\s*([A-Za-z]+)/.exec(query.replace(/^\s*(--[^\n]*\n|\/\*[\s\S]*?\*\/)*/, ""));
  return word?.[1]?.toUpperCase() ?? "";
}

// Only reached for values of types this process has no identity parser for yet.
export function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString("hex")}`;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
