// Debian's Chromium driven by playwright-core (no browser download), with a fresh profile, and
// everything a page complains about: console errors, uncaught exceptions, CSP violations.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { root } from "./dev-server.ts";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Git-ignored: every run's screenshots, to look at. */
export const SCREENSHOTS = join(root, "test-results", "browser");

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export type Browser = {
  page: Page;
  /** Console errors, page errors and CSP violations seen so far. */
  complaints: string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
};

export async function openBrowser(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), "chromium-profile-"));
  await mkdir(SCREENSHOTS, { recursive: true });
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const complaints: string[] = [];
  // Injected by the browser, not by the page, so the page's own CSP does not apply to it.
  await context.addInitScript({
    content: `document.addEventListener("securitypolicyviolation", (event) => {
      console.error("CSP violation: " + event.violatedDirective + " blocked " + event.blockedURI);
    });`,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (message) => {
    if (message.type() === "error") {
      complaints.push(`console: ${message.text()} (${message.location().url})`);
    }
  });
  page.on("pageerror", (error) => complaints.push(`page error: ${error.message}`));
  // Which resource failed: the console only says that one did.
  page.on("response", (response) => {
    if (response.status() >= 400) {
      complaints.push(`HTTP ${response.status()} ${response.request().method()} ${response.url()}`);
    }
  });
  return {
    page,
    complaints,
    async screenshot(name) {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
