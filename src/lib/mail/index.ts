import type { Config } from "../../env";

export type MailMessage = { to: string; subject: string; text: string; html: string };

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function passwordResetMessage(
  config: Pick<Config, "PASSWORD_RESET_URL" | "RESET_TOKEN_TTL">,
  to: { email: string; firstName: string },
  token: string,
): MailMessage {
  const link = new URL(config.PASSWORD_RESET_URL);
  link.searchParams.set("token", token);
  const minutes = Math.round(config.RESET_TOKEN_TTL / 60);
  const text = `Hello ${to.firstName},\n\nSomeone asked to reset the password of your account. To choose a new password, open this link within ${minutes} minutes:\n\n${link}\n\nIf it was not you, ignore this email: your password stays as it is.\n`;
  const html = `<p>Hello ${escapeHtml(to.firstName)},</p><p>Someone asked to reset the password of your account. To choose a new password, open this link within ${minutes} minutes:</p><p><a href="${escapeHtml(link.toString())}">Reset your password</a></p><p>If it was not you, ignore this email: your password stays as it is.</p>`;
  return { to: to.email, subject: "Reset your password", text, html };
}

/** Tells the old address that the account's email changed: a notice, with no link that acts. */
export function emailChangedMessage(to: { email: string; firstName: string }): MailMessage {
  const text = `Hello ${to.firstName},\n\nThe email address of your account was changed, and this address no longer receives its messages.\n\nIf you did not ask for this, contact the support of the service at once: someone may have taken over your account.\n`;
  const html = `<p>Hello ${escapeHtml(to.firstName)},</p><p>The email address of your account was changed, and this address no longer receives its messages.</p><p>If you did not ask for this, contact the support of the service at once: someone may have taken over your account.</p>`;
  return { to: to.email, subject: "Your email address was changed", text, html };
}

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
