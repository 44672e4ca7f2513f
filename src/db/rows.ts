import { type Column, getTableColumns, type Table } from "drizzle-orm";

/**
 * A row of `table` from a raw statement's result (columns by their database names, values as the
 * driver sent them), mapped the way drizzle's own queries map them (timestamps to Date, ...).
 */
export function rowOf<T extends Table>(table: T, raw: Record<string, unknown>): T["$inferSelect"] {
  return columnsOf(getTableColumns(table), raw) as T["$inferSelect"];
}

/** rowOf for some of a table's columns (`{ key: column }`, as drizzle's select takes them). */
export function columnsOf<C extends Record<string, Column>>(
  columns: C,
  raw: Record<string, unknown>,
): { [K in keyof C]: C[K]["_"]["data"] } {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(columns)) {
    const value = raw[column.name];
    row[key] = value === null || value === undefined ? value : column.mapFromDriverValue(value);
  }
  return row as { [K in keyof C]: C[K]["_"]["data"] };
}
