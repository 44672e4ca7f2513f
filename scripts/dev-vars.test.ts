import { describe, expect, it } from "vitest";
import { emailLinkVars, passkeyVars } from "./dev-vars.ts";

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

describe("the passkey settings of npm run dev", () => {
  it("are localhost and this server's own origin when .dev.vars sets none", () => {
    expect(passkeyVars({}, 8811)).toEqual({
      WEBAUTHN_RP_ID: "localhost",
      WEBAUTHN_ORIGINS: "http://localhost:8811",
    });
  });

  it("keep the origins .dev.vars lists for localhost (a front end's dev server)", () => {
    const own = { WEBAUTHN_RP_ID: "localhost", WEBAUTHN_ORIGINS: "http://localhost:5173" };
    expect(passkeyVars(own, 8811)).toEqual({ WEBAUTHN_RP_ID: "localhost" });
  });

  it("leave a relying party of .dev.vars's own alone", () => {
    const own = { WEBAUTHN_RP_ID: "dev.acme.test", WEBAUTHN_ORIGINS: "https://dev.acme.test" };
    expect(passkeyVars(own, 8811)).toEqual({});
  });
});
