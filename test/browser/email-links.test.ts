// The links `npm run dev` prints in its mail log point at its own port, and the pages they open
// complete the flow in a browser.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Browser, openBrowser } from "./chromium.ts";

const baseUrl = inject("baseUrl");
const devLogFile = inject("devLogFile");

let browser: Browser;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function post(path: string, body: unknown) {
  return fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** The link to `page` that the dev server's mail log shows for this address (its latest). */
async function linkFor(email: string, page: "reset-password" | "verify-email"): Promise<string> {
  const escaped = email.replace(/[.+]/g, "\\$&");
  const pattern = new RegExp(
    // Within that one message: no other message's link may be taken for it.
    `\\[mail:log\\] to=${escaped} [^\\n]*\\n(?:(?!\\[mail:log\\])[\\s\\S])*?(http\\S+/${page}\\?token=[\\w-]+(?:#email=\\S+)?)`,
    "g",
  );
  for (let attempt = 0; attempt < 50; attempt++) {
    const links = [...(await readFile(devLogFile, "utf8")).matchAll(pattern)];
    const last = links.at(-1)?.[1];
    if (last) return last;
    await sleep(200);
  }
  throw new Error(`no ${page} link for ${email} in the dev server's output`);
}

describe("the reset link of the dev server's mail log", () => {
  it("opens this server's /reset-password page, which sets the new password", async () => {
    const tag = randomBytes(4).toString("hex");
    const user = {
      username: `reset_${tag}`,
      email: `reset-${tag}@example.com`,
      first_name: "Reset",
      last_name: "Me",
      password: "Quiet-Harbour-Maple-17",
    };
    expect((await post("/auth/register", user)).status).toBe(201);
    expect((await post("/auth/forgot-password", { email: user.email })).status).toBe(202);

    const link = await linkFor(user.email, "reset-password");
    expect(new URL(link).origin).toBe(baseUrl);
    const { page } = browser;
    const logBefore = (await readFile(devLogFile, "utf8")).length;
    await page.goto(link);
    // The page takes the token (and the account after #) out of the address bar...
    expect(page.url()).toBe(`${baseUrl}/reset-password`);
    // It and its script and style are static assets: opening the link runs no Worker, so the
    // token is in no request line (and, deployed, in no trace). The Worker logs every request it
    // answers, an unknown path too ("404 GET unmatched").
    const pageLoad = (await readFile(devLogFile, "utf8")).slice(logBefore);
    expect(pageLoad).not.toMatch(/^\d{3} GET /m);
    expect(pageLoad).not.toContain(new URL(link).searchParams.get("token"));
    // ...and names the account to password managers in a hidden username field.
    const username = page.locator('input[autocomplete="username"]');
    expect(await username.inputValue()).toBe(user.email);
    expect(await username.isVisible()).toBe(false);

    // A refusal gives one reason in words, no raw field name.
    const refusals: [string, string][] = [
      ["password123", "The new password is one of the most common passwords."],
      [`${user.username}-Harbour`, "The new password must not contain the username or email name."],
    ];
    for (const [password, reason] of refusals) {
      await page.locator('input[name="new_password"]').fill(password);
      await page.locator('input[name="repeat"]').fill(password);
      await page.locator('button[type="submit"]').click();
      await page.locator("#result.error", { hasText: reason }).waitFor();
      expect(await page.locator("#result").textContent()).toBe(reason);
    }
    await browser.screenshot("07a-reset-password-refused");

    await page.locator('input[name="new_password"]').fill("Amber-Compass-River-58");
    await page.locator('input[name="repeat"]').fill("Amber-Compass-River-58");
    await page.locator('button[type="submit"]').click();
    await page.locator("#result.ok").waitFor();
    expect(await page.locator("#result").textContent()).toBe("Password reset successfully");
    await browser.screenshot("07-reset-password");

    const login = await post("/auth/login", {
      email: user.email,
      password: "Amber-Compass-River-58",
    });
    expect(login.status).toBe(200);
    // The two refused resets are all the browser may complain about.
    const others = browser.complaints.filter((c) => !c.includes(`${baseUrl}/auth/reset-password`));
    expect(others).toEqual([]);
    // Those were expected: the next tests start with none.
    browser.complaints.length = 0;
  });
});

describe("the verification link of the dev server's mail log", () => {
  it("opens this server's /verify-email page, which verifies the address", async () => {
    const tag = randomBytes(4).toString("hex");
    const user = {
      username: `verify_${tag}`,
      email: `verify-${tag}@example.com`,
      first_name: "Verify",
      last_name: "Me",
      password: "Quiet-Harbour-Maple-17",
    };
    expect((await post("/auth/register", user)).status).toBe(201);
    const link = await linkFor(user.email, "verify-email");
    expect(new URL(link).origin).toBe(baseUrl);

    const { page } = browser;
    await page.goto(link);
    expect(page.url()).toBe(`${baseUrl}/verify-email`);
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === "/auth/verify-email"),
      page.locator('button[type="submit"]').click(),
    ]);
    expect(JSON.parse(response.request().postData() ?? "{}")).toEqual({
      token: new URL(link).searchParams.get("token"),
    });
    await page.locator("#result.ok").waitFor();
    expect(await page.locator("#result").textContent()).toBe("Email verified successfully");
    await browser.screenshot("09-verify-email");

    const login = await post("/auth/login", { email: user.email, password: user.password });
    const answer = (await login.json()) as { user: { email_verified: boolean } };
    expect(answer.user.email_verified).toBe(true);
    expect(browser.complaints).toEqual([]);
  });

  it("shows the API's answer to a token that is not valid", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/verify-email?token=not-a-real-token`);
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === "/auth/verify-email"),
      page.locator('button[type="submit"]').click(),
    ]);
    expect(response.status()).toBe(400);
    await page.locator("#result.error").waitFor();
    expect(await page.locator("#result").textContent()).toBe((await response.json()).detail);
    // The refused request is all the browser may complain about.
    const others = browser.complaints.filter((c) => !c.includes(`${baseUrl}/auth/verify-email`));
    expect(others).toEqual([]);
  });
});
