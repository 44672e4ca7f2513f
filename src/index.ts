import { createApp } from "./app";
import { createDb } from "./db/client";
import { type Bindings, loadConfig } from "./env";
import { newStats, withStats } from "./lib/request-context";
import { cleanUp } from "./services/housekeeping";

const app = createApp();

export default {
  fetch: app.fetch,
  /**
   * The Cron Trigger of wrangler.toml: expired tokens, ended throttle windows and security events
   * past their retention do not pile up (services/housekeeping.ts, in bounded batches).
   */
  async scheduled(_controller: ScheduledController, env: Bindings): Promise<void> {
    const config = loadConfig(env);
    const db = createDb(config);
    // Counted like a request's line: duration, round trips and their time.
    const stats = newStats();
    const started = performance.now();
    const removed = await withStats(stats, () => cleanUp(db, config));
    console.log(
      JSON.stringify({
        level: "info",
        event: "token_cleanup",
        ...removed,
        duration_ms: Math.round(performance.now() - started),
        db_trips: stats.dbTrips,
        db_ms: Math.round(stats.dbMs),
      }),
    );
  },
} satisfies ExportedHandler<Bindings>;
