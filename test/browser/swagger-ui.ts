// Swagger UI's page as a user drives it: expand an operation, Try it out, Execute.
import type { Locator, Page, Response } from "playwright-core";

/** An operation of the page, expanded and in "Try it out" mode. */
export async function tryOperation(page: Page, tag: string, operationId: string): Promise<Locator> {
  const block = page.locator(`#operations-${tag}-${operationId}`);
  await block.scrollIntoViewIfNeeded();
  if (!(await block.locator(".opblock-body").isVisible())) {
    await block.locator(".opblock-summary-control").click();
  }
  const tryOut = block.locator("button.try-out__btn");
  if ((await tryOut.textContent())?.includes("Try it out")) await tryOut.click();
  return block;
}

export async function setBody(block: Locator, body: unknown) {
  await block.locator("textarea.body-param__text").fill(JSON.stringify(body, null, 2));
}

/** Clicks Execute and returns the API's answer, once Swagger UI shows it. */
export async function execute(
  page: Page,
  block: Locator,
  method: string,
  path: string,
): Promise<Response> {
  const [response] = await Promise.all([
    page.waitForResponse(
      (r) => r.request().method() === method && new URL(r.url()).pathname === path,
    ),
    block.locator("button.execute").click(),
  ]);
  await block.locator(".live-responses-table tr.response .response-col_status").waitFor();
  return response;
}

export async function shownStatus(block: Locator): Promise<string> {
  const cell = block.locator(".live-responses-table tr.response .response-col_status");
  return ((await cell.textContent()) ?? "").trim().slice(0, 3);
}
