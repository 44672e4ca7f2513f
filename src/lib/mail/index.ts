import type { Config } from "../../env";

export type MailMessage = { to: string; subject: string; text: string; html: string };

// The messages themselves (text and HTML from one definition) live in ./templates.
export { emailChangedMessage, emailVerificationMessage, passwordResetMessage } from "./templates";

/**
 * Sends through the configured provider. Never throws and never logs the message body of a real
 * provider: a failure is logged without the token and the client's answer does not change.
 */
export async function sendMail(
  config: Pick<Config, "MAIL_PROVIDER" | "MAIL_API_URL" | "MAIL_FROM" | "RESEND_API_KEY">,
  message: MailMessage,
): Promise<void> {
  if (config.MAIL_PROVIDER === "log") {
    // The local provider's whole purpose is to show the message (and its link) to the developer.
    console.log(`[mail:log] to=${message.to} subject="${message.subject}"\n${message.text}`);
    return;
  }
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
    });
    if (!response.ok) {
      console.error(
        JSON.stringify({ level: "error", event: "mail_failed", status: response.status }),
      );
    }
  } catch (error) {
    console.error(
      JSON.stringify({
        level: "error",
        event: "mail_failed",
        error: error instanceof Error ? error.name : "unknown",
      }),
    );
  }
}
