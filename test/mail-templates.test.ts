// The mail templating module on its own: one definition rendered as text and HTML, the product
// name from configuration, links only from the configured pages, every value escaped.
import { describe, expect, it } from "vitest";
import {
  emailChangedMessage,
  emailVerificationMessage,
  lifetime,
  passwordResetMessage,
  renderMail,
} from "../src/lib/mail/templates";

const config = {
  MAIL_APP_NAME: "Acme <Accounts>",
  PASSWORD_RESET_URL: "https://app.example.test/reset-password",
  EMAIL_VERIFY_URL: "https://app.example.test/verify-email?lang=en",
  RESET_TOKEN_TTL: 900,
  VERIFY_TOKEN_TTL: 86_400,
};
const to = { email: "alice@example.test", firstName: "Alice & Bob" };

describe("mail templates", () => {
  it("render the same greeting, paragraphs and footer as text and as HTML", () => {
    const mail = renderMail("Acme", "a@example.test", {
      subject: "Hi",
      greeting: "Hello A,",
      paragraphs: ["First.", "Second."],
      action: { label: "Do it", url: new URL("https://app.example.test/x?token=t") },
      after: ["After."],
    });
    expect(mail.to).toBe("a@example.test");
    expect(mail.text).toBe(
      "Hello A,\n\nFirst.\n\nSecond.\n\nDo it:\nhttps://app.example.test/x?token=t\n\nAfter.\n\n--\nAcme\nYou receive this email because this address belongs to an account at Acme.\n",
    );
    for (const part of ["Hello A,", "First.", "Second.", "After.", "Do it", "Acme"]) {
      expect(mail.html).toContain(part);
    }
    expect(mail.html.indexOf("First.")).toBeLessThan(mail.html.indexOf("Do it"));
    expect(mail.html.indexOf("Do it")).toBeLessThan(mail.html.indexOf("After."));
    expect(mail.html).toContain('href="https://app.example.test/x?token=t"');
  });

  it("build reset and verification links from the configured pages, keeping their query", () => {
    const reset = passwordResetMessage(config, to, "reset-tok");
    expect(reset.text).toContain("https://app.example.test/reset-password?token=reset-tok");
    expect(reset.text).toContain("15 minutes");
    // The account, for the reset page's password-manager hint, only after `#`: never sent.
    expect(reset.text).toContain(
      "https://app.example.test/reset-password?token=reset-tok#email=alice%40example.test",
    );

    const verify = emailVerificationMessage(config, to, "verify-tok");
    expect(verify.text).toContain("https://app.example.test/verify-email?lang=en&token=verify-tok");
    expect(verify.html).toContain(
      'href="https://app.example.test/verify-email?lang=en&#38;token=verify-tok"',
    );
    expect(verify.text).toContain("24 hours");
    expect(verify.text).not.toContain("#email");
  });

  it("name the product in subject and body, escaped in HTML only", () => {
    for (const mail of [
      passwordResetMessage(config, to, "t"),
      emailVerificationMessage(config, to, "t"),
      emailChangedMessage(config, to),
    ]) {
      expect(mail.subject).toContain("Acme <Accounts>");
      expect(mail.text).toContain("Acme <Accounts>");
      expect(mail.text).toContain("Hello Alice & Bob,");
      expect(mail.html).toContain("Acme &#60;Accounts&#62;");
      expect(mail.html).toContain("Hello Alice &#38; Bob,");
      expect(mail.html).not.toContain("<Accounts>");
    }
  });

  it("give the email-changed notice no link at all", () => {
    const mail = emailChangedMessage(config, to);
    expect(mail.text).not.toMatch(/https?:\/\//);
    expect(mail.html).not.toMatch(/<a\b|https?:\/\//);
  });

  it("say token lifetimes as people do", () => {
    expect(lifetime(86_400)).toBe("24 hours");
    expect(lifetime(3_600)).toBe("1 hour");
    expect(lifetime(900)).toBe("15 minutes");
    expect(lifetime(60)).toBe("1 minute");
    expect(lifetime(5_400)).toBe("90 minutes");
  });
});
