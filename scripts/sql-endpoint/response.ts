// Writes answers of Neon's SQL-over-HTTP protocol: a statement's result as the driver reads it
// (Postgres text values with their type OIDs), and a database error with Postgres' own fields.
import { type DatabaseErrorLike, ERROR_FIELDS, type StatementResult } from "./database.ts";

export function toWire(result: StatementResult, arrayMode: boolean) {
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

export function databaseErrorBody(error: DatabaseErrorLike): Record<string, unknown> {
  const body: Record<string, unknown> = { message: error.message };
  for (const field of ERROR_FIELDS) {
    const value = error[field];
    if (value !== undefined && value !== null) body[field] = value;
  }
  return body;
}
