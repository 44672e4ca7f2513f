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

/** The reset link the dev server's mail log shows for this address. */
async function resetLinkFor(email: string): Promise<string> {
  const pattern = new RegExp(
    `to=${email.replace(/[.+]/g, "\\$&")} subject="Reset your password"[\\s\\S]*?(http\\S+reset-password\\?token=\\S+)`,
  );
  for (let attempt = 0; attempt < 50; attempt++) {
    const match = pattern.exec(await readFile(devLogFile, "utf8"));
    if (match?.[1]) return match[1];
    await sleep(200);
  }
  throw new Error(`no reset link for ${email} in the dev server's output`);
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

    const link = await resetLinkFor(user.email);
    expect(new URL(link).origin).toBe(baseUrl);
    const { page } = browser;
    await page.goto(link);
    // The page takes the token out of the address bar.
    expect(page.url()).toBe(`${baseUrl}/reset-password`);
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
    expect(browser.complaints).toEqual([]);
  });
});

describe("the /verify-email page", () => {
  it("posts the token of its link to /auth/verify-email and shows the answer", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/verify-email?token=not-a-real-token`);
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === "/auth/verify-email"),
      page.locator('button[type="submit"]').click(),
    ]);
    expect(JSON.parse(response.request().postData() ?? "{}")).toEqual({
      token: "not-a-real-token",
    });
    await page.locator("#result.error").waitFor();
    // The problem's detail is what the page shows (400 for an unknown token once the endpoint
    // exists; before that, the 404 of an unknown route).
    expect(await page.locator("#result").textContent()).toBe((await response.json()).detail);
    await browser.screenshot("08-verify-email");
    // A refused request is logged by the browser itself; nothing else may be.
    const others = browser.complaints.filter((c) => !c.includes(`${baseUrl}/auth/verify-email`));
    expect(others).toEqual([]);
  });
});
