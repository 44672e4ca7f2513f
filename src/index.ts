import { createApp } from "./app";
import { createDb } from "./db/client";
import { type Bindings, loadConfig } from "./env";
import { deleteDeadTokens } from "./services/sessions";

const app = createApp();

export default {
  fetch: app.fetch,
  /** The Cron Trigger of wrangler.toml: expired and spent tokens do not pile up forever. */
  async scheduled(_controller: ScheduledController, env: Bindings): Promise<void> {
    const removed = await deleteDeadTokens(createDb(loadConfig(env)));
    console.log(JSON.stringify({ level: "info", event: "token_cleanup", ...removed }));
  },
} satisfies ExportedHandler<Bindings>;
