import { createApp } from "./app";
import { createDb } from "./db/client";
import { type Bindings, loadConfig } from "./env";
import { deleteEndedThrottles } from "./services/rate-limits";
import { deleteDeadTokens } from "./services/sessions";

const app = createApp();

export default {
  fetch: app.fetch,
  /** The Cron Trigger of wrangler.toml: expired tokens and ended throttle windows do not pile up. */
  async scheduled(_controller: ScheduledController, env: Bindings): Promise<void> {
    const db = createDb(loadConfig(env));
    const removed = await deleteDeadTokens(db);
    const throttles = await deleteEndedThrottles(db);
    console.log(JSON.stringify({ level: "info", event: "token_cleanup", ...removed, throttles }));
  },
} satisfies ExportedHandler<Bindings>;
