import { describe, expect, it } from "vitest";
import { emailLinkVars } from "./dev-vars.ts";

const base = "http://127.0.0.1:8811";

describe("the email links of npm run dev", () => {
  it("point at the dev server's own pages on its real port when .dev.vars sets none", () => {
    expect(emailLinkVars({}, base)).toEqual({
      PASSWORD_RESET_URL: `${base}/reset-password`,
      EMAIL_VERIFY_URL: `${base}/verify-email`,
    });
  });

  it("follow the port too when .dev.vars still has the old example's localhost:8787 values", () => {
    const old = {
      PASSWORD_RESET_URL: "http://localhost:8787/reset-password",
      EMAIL_VERIFY_URL: "http://localhost:8787/verify-email",
    };
    expect(emailLinkVars(old, base)).toEqual({
      PASSWORD_RESET_URL: `${base}/reset-password`,
      EMAIL_VERIFY_URL: `${base}/verify-email`,
    });
  });

  it("leave a page that .dev.vars names of its own alone", () => {
    const own = { PASSWORD_RESET_URL: "http://localhost:3000/reset" };
    expect(emailLinkVars(own, base)).toEqual({ EMAIL_VERIFY_URL: `${base}/verify-email` });
  });
});
