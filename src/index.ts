import { createApp } from "./app";
import { createDb } from "./db/client";
import { type Bindings, loadConfig } from "./env";
import { deleteExpiredVerifications } from "./services/email-verification";
import { deleteOldEvents } from "./services/events";
import { deleteEndedThrottles } from "./services/rate-limits";
import { deleteDeadTokens } from "./services/sessions";

const app = createApp();

export default {
  fetch: app.fetch,
  /**
   * The Cron Trigger of wrangler.toml: expired tokens, ended throttle windows and security events
   * past their retention do not pile up.
   */
  async scheduled(_controller: ScheduledController, env: Bindings): Promise<void> {
    const config = loadConfig(env);
    const db = createDb(config);
    const removed = await deleteDeadTokens(db);
    const throttles = await deleteEndedThrottles(db);
    const events = await deleteOldEvents(db, config.EVENTS_RETENTION_DAYS);
    const verificationTokens = await deleteExpiredVerifications(db);
    console.log(
      JSON.stringify({
        level: "info",
        event: "token_cleanup",
        ...removed,
        verificationTokens,
        throttles,
        events,
      }),
    );
  },
} satisfies ExportedHandler<Bindings>;
