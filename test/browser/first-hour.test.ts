// The first hour of a new user in Swagger UI: the page opens with how to start, the prefilled
// examples tell one story (register alice or bob, log in as alice), a field sent to the wrong
// route names the right one, and TOTP setup answers a QR code that a scanner reads.
import { join } from "node:path";
import type { Locator } from "playwright-core";
import decodeQR from "qr/decode.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Browser, openBrowser, SCREENSHOTS } from "./chromium.ts";
import { execute, setBody, tryOperation } from "./swagger-ui.ts";

const baseUrl = inject("baseUrl");
const adminKey = inject("adminKey");

let browser: Browser;
beforeAll(async () => {
  browser = await openBrowser();
  await browser.page.goto(`${baseUrl}/apidocs`);
  await browser.page.locator("#operations-Auth-register").waitFor();
});
afterAll(async () => {
  await browser?.close();
});

/** Picks a named example of an operation's request body, and returns the body it fills in. */
async function pickExample(block: Locator, name: string) {
  await block.locator(".opblock-section-request-body .examples-select select").selectOption(name);
  const text = await block.locator("textarea.body-param__text").inputValue();
  return JSON.parse(text) as Record<string, unknown>;
}

describe("Swagger UI for a newcomer", () => {
  let accessToken = "";
  let alicePassword = "";

  it("opens with how to start: register, log in, Authorize, then the rules", async () => {
    const info = browser.page.locator(".information-container .info");
    const text = (await info.textContent()) ?? "";
    const at = ["How to start", "Register", "Log in", "Authorize", "The rules"].map((part) =>
      text.indexOf(part),
    );
    expect(at.every((position, i) => position >= 0 && position > (at[i - 1] ?? -1))).toBe(true);
    await browser.screenshot("08-how-to-start");
  });

  it("registers bob with the user example as it is, and alice with the admin example", async () => {
    const page = browser.page;
    const block = await tryOperation(page, "Auth", "register");
    const bob = await pickExample(block, "user");
    expect(bob.username).toBe("bob");
    const bobAnswer = await execute(page, block, "POST", "/auth/register");
    expect(bobAnswer.status(), await bobAnswer.text()).toBe(201);

    const alice = await pickExample(block, "admin");
    expect(alice.username).toBe("alice");
    // This test server's admin key is made up for the run; `npm run dev`'s is the example's.
    expect(alice.secret_admin_key).toBe("local-admin-key");
    await setBody(block, { ...alice, secret_admin_key: adminKey });
    const aliceAnswer = await execute(page, block, "POST", "/auth/register");
    expect(aliceAnswer.status(), await aliceAnswer.text()).toBe(201);
    expect((await aliceAnswer.json()).user.role).toBe("ADMIN");
    alicePassword = alice.password as string;
    await browser.screenshot("09-register-examples");
  });

  it("logs in with the login example as it is, and Authorizes", async () => {
    const page = browser.page;
    const block = await tryOperation(page, "Auth", "login");
    const response = await execute(page, block, "POST", "/auth/login");
    expect(response.status(), await response.text()).toBe(200);
    const answer = await response.json();
    expect(answer.user.username).toBe("alice");
    accessToken = answer.access_token;
    await page.locator(".scheme-container button.authorize").click();
    const modal = page.locator(".modal-ux");
    await modal.locator("input").first().fill(accessToken);
    await modal.locator("button.authorize").click();
    await modal.locator("button.btn-done").click();
  });

  it("answers a password sent to PATCH /users/me with the route that takes it", async () => {
    const page = browser.page;
    const block = await tryOperation(page, "Users", "updateMe");
    await setBody(block, { password: "Another-Password-99" });
    const response = await execute(page, block, "PATCH", "/users/me");
    expect(response.status()).toBe(422);
    await block.locator(".live-responses-table").scrollIntoViewIfNeeded();
    expect(
      await block.locator(".live-responses-table .microlight").first().textContent(),
    ).toContain("use POST /auth/change-password");
    await browser.screenshot("10-better-route");
  });

  it("shows the TOTP setup's qr_code as an image that a QR decoder reads as the otpauth URL", async () => {
    const page = browser.page;
    const setup = await page.evaluate(
      async ([token, password]) => {
        const response = await fetch("/auth/mfa/totp/setup", {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify({ current_password: password }),
        });
        return { status: response.status, body: await response.json() };
      },
      [accessToken, alicePassword],
    );
    expect(setup.status, JSON.stringify(setup.body)).toBe(200);
    const { qr_code, otpauth_url } = setup.body as { qr_code: string; otpauth_url: string };

    // Shown as a front end would, then read back from the pixels the browser drew.
    await page.setContent(
      `<img id="qr" src="${qr_code}" width="300" height="300" alt="QR code for your authenticator app">`,
    );
    await page.locator("#qr").screenshot({ path: join(SCREENSHOTS, "11-qr-code.png") });
    // In the page (a string: these tests are typed without the DOM's types).
    const pixels: number[] = await page.evaluate(`(async () => {
      const image = document.getElementById("qr");
      await image.decode();
      const canvas = document.createElement("canvas");
      canvas.width = 300;
      canvas.height = 300;
      const context = canvas.getContext("2d");
      context.drawImage(image, 0, 0, 300, 300);
      return Array.from(context.getImageData(0, 0, 300, 300).data);
    })()`);
    const image = { width: 300, height: 300, data: Uint8Array.from(pixels) };
    expect(decodeQR(image)).toBe(otpauth_url);
  });

  it("saw no console error and no CSP violation but the refused PATCH", () => {
    const others = browser.complaints.filter((c) => !c.includes(`${baseUrl}/users/me`));
    expect(others).toEqual([]);
  });
});
