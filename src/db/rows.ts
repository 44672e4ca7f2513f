import { getTableColumns, type Table } from "drizzle-orm";

/**
 * A row of `table` from a raw statement's result (columns by their database names, values as the
 * driver sent them), mapped the way drizzle's own queries map them (timestamps to Date, ...).
 */
export function rowOf<T extends Table>(table: T, raw: Record<string, unknown>): T["$inferSelect"] {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[column.name];
    row[key] = value === null || value === undefined ? value : column.mapFromDriverValue(value);
  }
  return row as T["$inferSelect"];
}
