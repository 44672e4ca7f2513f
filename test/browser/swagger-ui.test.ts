// Swagger UI as a new user clicks through it: the obvious first clicks must work, with no
// console error and no CSP violation on the way.
import { randomBytes } from "node:crypto";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { PROBLEMS } from "../../src/lib/problems.ts";
import { type Browser, openBrowser } from "./chromium.ts";
import { execute as executeOn, setBody, shownStatus, tryOperation as tryOn } from "./swagger-ui.ts";

const baseUrl = inject("baseUrl");
const adminKey = inject("adminKey");

let browser: Browser;
let page: Page;
beforeAll(async () => {
  browser = await openBrowser();
  page = browser.page;
});
afterAll(async () => {
  await browser?.close();
});

const tryOperation = (tag: string, operationId: string) => tryOn(page, tag, operationId);
const execute = (...args: [Parameters<typeof executeOn>[1], string, string]) =>
  executeOn(page, ...args);

describe("Swagger UI at /apidocs", () => {
  const tag = randomBytes(4).toString("hex");
  const admin = {
    username: `browser_admin_${tag}`,
    email: `browser-admin-${tag}@example.com`,
    first_name: "Browser",
    last_name: "Admin",
    password: "Violet-Lantern-Orbit-42",
  };
  let accessToken = "";

  it("renders every operation from the document, from this Worker's own files", async () => {
    await page.goto(`${baseUrl}/apidocs`);
    await page.locator("#operations-Auth-register").waitFor();
    expect(await page.locator(".opblock").count()).toBeGreaterThanOrEqual(17);
    expect(await page.title()).toBe("User Management API");
    await browser.screenshot("01-apidocs");
  });

  it("registers an admin with Try it out", async () => {
    const block = await tryOperation("Auth", "register");
    await setBody(block, { ...admin, secret_admin_key: adminKey });
    const response = await execute(block, "POST", "/auth/register");
    expect(response.status(), await response.text()).toBe(201);
    expect(await shownStatus(block)).toBe("201");
    expect((await response.json()).user.role).toBe("ADMIN");
    await browser.screenshot("02-registered");
  });

  it("logs in with Try it out", async () => {
    const block = await tryOperation("Auth", "login");
    await setBody(block, { email: admin.email, password: admin.password });
    const response = await execute(block, "POST", "/auth/login");
    expect(response.status()).toBe(200);
    accessToken = (await response.json()).access_token;
    expect(accessToken).toMatch(/^ey/);
  });

  it("takes a pasted 'Bearer <token>' in Authorize and calls GET /users/me with it", async () => {
    await page.locator(".scheme-container button.authorize").click();
    const modal = page.locator(".modal-ux");
    await modal.locator("input").first().fill(`Bearer ${accessToken}`);
    await modal.locator("button.authorize").click();
    await browser.screenshot("03-authorized");
    await modal.locator("button.btn-done").click();

    const block = await tryOperation("Users", "getMe");
    const response = await execute(block, "GET", "/users/me");
    expect(response.request().headers().authorization).toBe(`Bearer ${accessToken}`);
    expect(response.status(), await response.text()).toBe(200);
    expect((await response.json()).username).toBe(admin.username);
    await browser.screenshot("04-users-me");
  });

  it("searches users as the admin: q passes the document's pattern", async () => {
    const block = await tryOperation("Users", "listUsers");
    await block.locator('tr[data-param-name="q"] input').fill(`  ${admin.username} `);
    const response = await execute(block, "GET", "/users");
    expect(response.status(), await response.text()).toBe(200);
    const users = await response.json();
    expect(users.map((u: { username: string }) => u.username)).toEqual([admin.username]);
    expect(response.headers()["x-total-count"]).toBe("1");
    await block.locator(".live-responses-table").scrollIntoViewIfNeeded();
    await browser.screenshot("05-users-search");
  });

  it("updates the caller with PATCH /users/me without touching If-Match", async () => {
    const block = await tryOperation("Users", "updateMe");
    expect(await block.locator('tr[data-param-name="if-match"] input').inputValue()).toBe("");
    const response = await execute(block, "PATCH", "/users/me");
    expect(response.status(), await response.text()).toBe(200);
    expect((await response.json()).user.first_name).toBe("Alicia");
    await browser.screenshot("06-patch-users-me");
  });

  it("shows each error status with an example of each of its codes", async () => {
    const block = page.locator("#operations-Users-patchUser");
    await block.locator(".opblock-summary-control").click();
    const conflict = block.locator('tr.response[data-code="409"]');
    await conflict.scrollIntoViewIfNeeded();
    expect(await conflict.locator(".response-col_description").textContent()).toContain(
      "last_admin",
    );
    const examples = conflict.locator(".examples-select select");
    // Each example is named by its summary: the problem's detail from src/lib/problems.ts.
    expect(await examples.locator("option").allTextContents()).toEqual([
      PROBLEMS.conflict.detail,
      PROBLEMS.last_admin.detail,
    ]);
    await examples.selectOption({ label: PROBLEMS.last_admin.detail });
    expect(await conflict.locator(".example").first().textContent()).toContain(
      '"code": "last_admin"',
    );
    await browser.screenshot("07-error-examples");
  });

  it("saw no console error and no CSP violation on the way", () => {
    expect(browser.complaints).toEqual([]);
  });
});
