import type { Config } from "../../env";
import { sha256Hex } from "../crypto";
import { inSpan } from "../tracing";

export type MailMessage = { to: string; subject: string; text: string; html: string };

// The messages themselves (text and HTML from one definition) live in ./templates.
export { emailChangedMessage, emailVerificationMessage, passwordResetMessage } from "./templates";

/**
 * Sends through the configured provider. Never throws and never logs the message body of a real
 * provider: a failure (an error status, no answer within MAIL_TIMEOUT, no connection) is logged
 * with the request id and a reference to the recipient (the first 12 hex digits of the SHA-256 of
 * the lowercased address, to match against a known address; never the address or the token),
 * and the client's answer does not change.
 */
export async function sendMail(
  config: Pick<
    Config,
    "MAIL_PROVIDER" | "MAIL_API_URL" | "MAIL_FROM" | "RESEND_API_KEY" | "MAIL_TIMEOUT"
  >,
  message: MailMessage,
  context: { requestId?: string } = {},
): Promise<void> {
  if (config.MAIL_PROVIDER === "log") {
    // The local provider's whole purpose is to show the message (and its link) to the developer.
    console.log(`[mail:log] to=${message.to} subject="${message.subject}"\n${message.text}`);
    return;
  }
  const outcome = await inSpan("mail.send", async (span) => {
    const result = await postToProvider(config, message);
    // The provider's URL and status only: the runtime's fetch span beside it has no headers but
    // its content type, so neither the API key nor the recipient reaches a trace.
    span?.setAttributes({
      "mail.provider": config.MAIL_PROVIDER,
      "http.response.status_code": "status" in result ? result.status : 0,
      "error.type": "error" in result ? result.error : undefined,
    });
    return result;
  });
  if ("status" in outcome && outcome.status < 300) return;
  console.error(
    JSON.stringify({
      level: "error",
      event: "mail_failed",
      request_id: context.requestId,
      recipient: (await sha256Hex(message.to.toLowerCase())).slice(0, 12),
      subject: message.subject,
      ...outcome,
    }),
  );
}

/** One POST to the provider: its status, or the name of what failed on the way. */
async function postToProvider(
  config: Pick<Config, "MAIL_API_URL" | "MAIL_FROM" | "RESEND_API_KEY" | "MAIL_TIMEOUT">,
  message: MailMessage,
): Promise<{ status: number } | { error: string }> {
  try {
    const response = await fetch(`${config.MAIL_API_URL.replace(/\/$/, "")}/emails`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${config.RESEND_API_KEY}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({
        from: config.MAIL_FROM,
        to: [message.to],
        subject: message.subject,
        text: message.text,
        html: message.html,
      }),
      // Work after the response is cut about 30 s in: fail, and say so, well before that.
      signal: AbortSignal.timeout(config.MAIL_TIMEOUT * 1000),
    });
    await response.body?.cancel();
    return { status: response.status };
  } catch (error) {
    // A timeout is a DOMException, which need not be an Error here.
    const name = (error as { name?: unknown } | null)?.name;
    return { error: typeof name === "string" ? name : "unknown" };
  }
}
