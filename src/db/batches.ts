import { type SQL, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Db } from "./client";

/**
 * One bounded batch of the cron's deletes: at most `limit` rows of `table` for which `condition`
 * holds, found through the index that serves the condition (the LIMIT stops the walk), deleted
 * by `key`. The condition is checked again on the row being deleted: under READ COMMITTED, a row
 * that a concurrent write renewed meanwhile (a throttle window restarted, a token issued anew)
 * is re-read in its new version and then stays. Answers how many rows went.
 */
export async function deleteBatch(
  db: Db,
  table: PgTable,
  key: PgColumn,
  condition: SQL,
  limit: number,
): Promise<number> {
  const result = await db.execute(sql`
    delete from ${table} where ${key} in (
      select ${key} from ${table} where ${condition} limit ${limit})
    and ${condition}`);
  return result.rowCount ?? 0;
}
