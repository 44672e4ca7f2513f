import type { Config } from "../../env";
import type { MailMessage } from ".";

/**
 * One definition of a message, rendered both as plain text and as HTML: a greeting, paragraphs,
 * an optional action (a button in HTML, the bare link in text), more paragraphs, and a footer
 * that names the product. Every value is escaped in the HTML; nothing here reads a request.
 */
type Template = {
  subject: string;
  greeting: string;
  paragraphs: string[];
  action?: { label: string; url: URL };
  after?: string[];
};

export const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * A link carrying a token, built only from a configured page (PASSWORD_RESET_URL,
 * EMAIL_VERIFY_URL): never from the request's Host, which an attacker controls.
 */
function configuredLink(page: string, token: string): URL {
  const link = new URL(page);
  link.searchParams.set("token", token);
  return link;
}

/**
 * The reset link also names the account in its fragment (`#email=`), which browsers never send to
 * a server: the reset page gives it to password managers, so they store the new password for the
 * right account.
 */
function resetLink(page: string, token: string, to: Recipient): URL {
  const link = configuredLink(page, token);
  link.hash = new URLSearchParams({ email: to.email }).toString();
  return link;
}

/** A token lifetime as people say it: "24 hours", "15 minutes". */
export function lifetime(seconds: number): string {
  const [amount, unit] =
    seconds >= 3600 && seconds % 3600 === 0
      ? [seconds / 3600, "hour"]
      : [Math.max(1, Math.round(seconds / 60)), "minute"];
  return `${amount} ${unit}${amount === 1 ? "" : "s"}`;
}

const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

/** Renders a template for one recipient of the product `appName`. */
export function renderMail(appName: string, to: string, template: Template): MailMessage {
  const { greeting, paragraphs, action, after = [] } = template;
  const footer = `You receive this email because this address belongs to an account at ${appName}.`;

  const text = [
    greeting,
    ...paragraphs,
    ...(action ? [`${action.label}:\n${action.url}`] : []),
    ...after,
    `--\n${appName}\n${footer}`,
  ].join("\n\n");

  const p = (body: string) => `<p style="margin:0 0 16px;line-height:1.5">${escapeHtml(body)}</p>`;
  const button = action
    ? `<p style="margin:24px 0"><a href="${escapeHtml(action.url.toString())}" style="display:inline-block;padding:12px 24px;background:#2563eb;color:#ffffff;border-radius:6px;text-decoration:none;font-weight:600">${escapeHtml(action.label)}</a></p>` +
      `<p style="margin:0 0 16px;line-height:1.5;font-size:13px;color:#4b5563">If the button does not work, open this link: <a href="${escapeHtml(action.url.toString())}" style="color:#2563eb;word-break:break-all">${escapeHtml(action.url.toString())}</a></p>`
    : "";
  const html = [
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(template.subject)}</title></head>`,
    `<body style="margin:0;padding:24px;background:#f3f4f6;${FONT};color:#111827">`,
    `<div style="max-width:560px;margin:0 auto;padding:32px;background:#ffffff;border-radius:8px">`,
    `<p style="margin:0 0 24px;font-size:18px;font-weight:700">${escapeHtml(appName)}</p>`,
    p(greeting),
    ...paragraphs.map(p),
    button,
    ...after.map(p),
    `<hr style="border:none;border-top:1px solid #e5e7eb;margin:24px 0">`,
    `<p style="margin:0;font-size:12px;color:#6b7280">${escapeHtml(footer)}</p>`,
    `</div></body></html>`,
  ].join("");

  return { to, subject: template.subject, text: `${text}\n`, html };
}

type Recipient = { email: string; firstName: string };

export function passwordResetMessage(
  config: Pick<Config, "MAIL_APP_NAME" | "PASSWORD_RESET_URL" | "RESET_TOKEN_TTL">,
  to: Recipient,
  token: string,
): MailMessage {
  const app = config.MAIL_APP_NAME;
  return renderMail(app, to.email, {
    subject: `Reset your ${app} password`,
    greeting: `Hello ${to.firstName},`,
    paragraphs: [
      `Someone asked to reset the password of your ${app} account. To choose a new password, open this link within ${lifetime(config.RESET_TOKEN_TTL)}.`,
    ],
    action: { label: "Reset your password", url: resetLink(config.PASSWORD_RESET_URL, token, to) },
    after: ["If it was not you, ignore this email: your password stays as it is."],
  });
}

export function emailVerificationMessage(
  config: Pick<Config, "MAIL_APP_NAME" | "EMAIL_VERIFY_URL" | "VERIFY_TOKEN_TTL">,
  to: Recipient,
  token: string,
): MailMessage {
  const app = config.MAIL_APP_NAME;
  return renderMail(app, to.email, {
    subject: `Verify your email address for ${app}`,
    greeting: `Hello ${to.firstName},`,
    paragraphs: [
      `Please confirm that this address belongs to your ${app} account. The link works once, within ${lifetime(config.VERIFY_TOKEN_TTL)}, and only while the account keeps this address.`,
    ],
    action: {
      label: "Verify your email address",
      url: configuredLink(config.EMAIL_VERIFY_URL, token),
    },
    after: ["If you did not create an account or change its address, ignore this email."],
  });
}

/** Tells the old address that the account's email changed: a notice, with no link that acts. */
export function emailChangedMessage(
  config: Pick<Config, "MAIL_APP_NAME">,
  to: Recipient,
): MailMessage {
  const app = config.MAIL_APP_NAME;
  return renderMail(app, to.email, {
    subject: `Your ${app} email address was changed`,
    greeting: `Hello ${to.firstName},`,
    paragraphs: [
      `The email address of your ${app} account was changed, and this address no longer receives its messages.`,
      `If you did not ask for this, contact the support of ${app} at once: someone may have taken over your account.`,
    ],
  });
}
