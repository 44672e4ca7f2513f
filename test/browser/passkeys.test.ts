// Passkeys in a real browser: Chromium with a virtual platform authenticator (the DevTools
// protocol's WebAuthn domain) adds a passkey to an account through the /passkeys page of
// `npm run dev` and signs in with it there, then signs in with it through the API directly.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { CDPSession } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Browser, openBrowser } from "./chromium.ts";

// Passkeys belong to the RP ID, localhost: the page must be opened there, not at 127.0.0.1.
const pageOrigin = inject("baseUrl").replace("127.0.0.1", "localhost");

let browser: Browser;
let cdp: CDPSession;
let authenticatorId: string;
beforeAll(async () => {
  browser = await openBrowser();
  cdp = await browser.page.context().newCDPSession(browser.page);
  await cdp.send("WebAuthn.enable");
  ({ authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  }));
});
afterAll(async () => {
  await browser?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: answers of every shape.
async function post(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${pageOrigin}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** Registers a user, waiting out the registration limit the files before this one used up. */
async function registerUser() {
  const tag = randomBytes(4).toString("hex");
  const user = {
    username: `passkey_${tag}`,
    email: `passkey-${tag}@example.com`,
    first_name: "Pass",
    last_name: "Key",
    password: "Violet-Lantern-Orbit-42",
  };
  let registered = await post("/auth/register", user);
  if (registered.status === 429) {
    await sleep(61_000 - (Date.now() % 60_000));
    registered = await post("/auth/register", user);
  }
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  return user;
}

describe("the /passkeys page", () => {
  it("adds a passkey and signs in with it; the passkey then signs in through the API", async () => {
    const user = await registerUser();
    const { page } = browser;
    await page.goto(`${pageOrigin}/passkeys`);

    await page.locator('#password-form input[name="email"]').fill(user.email);
    await page.locator('#password-form input[name="password"]').fill(user.password);
    await page.locator("#password-form button").click();
    await page
      .locator("#who", { hasText: `Signed in as ${user.email} with a password.` })
      .waitFor();

    await page.locator('#add-form input[name="name"]').fill("Virtual authenticator");
    await page.locator("#add-form button").click();
    await page
      .locator("#result.ok", { hasText: 'Passkey "Virtual authenticator" added.' })
      .waitFor();
    await page.locator("#passkeys li", { hasText: "Virtual authenticator" }).waitFor();
    // The authenticator holds it as a discoverable credential, for this relying party.
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: "localhost" });

    await page.locator("#sign-out").click();
    await page.locator("#who", { hasText: "Not signed in." }).waitFor();
    // Usernameless: no email, the authenticator offers its passkey for localhost.
    await page.locator("#passkey-form button").click();
    await page.locator("#who", { hasText: `Signed in as ${user.email} with a passkey.` }).waitFor();
    await page.locator("#passkeys li", { hasText: "last used" }).waitFor();
    await browser.screenshot("passkeys");

    // The API directly: options and verify from here, the browser only as the authenticator.
    const started = await post("/auth/passkeys/login/options", {});
    expect(started.status).toBe(200);
    const response = await page.evaluate(async (options) => {
      // The page's globals: the tests' TypeScript has no DOM library.
      // biome-ignore lint/suspicious/noExplicitAny: PublicKeyCredential and navigator.credentials.
      const web = globalThis as any;
      const publicKey = web.PublicKeyCredential.parseRequestOptionsFromJSON(options);
      const credential = await web.navigator.credentials.get({ publicKey });
      return credential.toJSON();
    }, started.body.options);
    const verified = await post("/auth/passkeys/login/verify", {
      challenge_id: started.body.challenge_id,
      response,
    });
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect(verified.body.user.email).toBe(user.email);
    const me = await fetch(`${pageOrigin}/users/me`, {
      headers: { Authorization: `Bearer ${verified.body.access_token}` },
    });
    expect(((await me.json()) as { email: string }).email).toBe(user.email);
    // Spent: the same assertion opens no second session.
    expect(
      (
        await post("/auth/passkeys/login/verify", {
          challenge_id: started.body.challenge_id,
          response,
        })
      ).status,
    ).toBe(401);

    expect(browser.complaints).toEqual([]);
  });
});
