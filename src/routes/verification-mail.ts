import type { Context } from "hono";
import type { AppEnv } from "../env";
import { inBackground } from "../lib/background";
import { sendMail } from "../lib/mail";
import { issueVerification } from "../services/email-verification";

/**
 * After the response: issues a verification token for the user's current address (replacing any
 * older one) and mails the link there. Registration and every email change call it.
 */
export function mailVerificationLink<E extends AppEnv>(c: Context<E>, userId: string): void {
  const db = c.get("db");
  const config = c.get("config");
  inBackground(c, "verification_mail_failed", async () => {
    const message = await issueVerification(db, config, userId);
    if (message) await sendMail(config, message, { requestId: c.get("requestId") });
  });
}
