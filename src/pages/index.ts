// The HTML the Worker serves: Swagger UI at /apidocs, and the two pages the emails link to in
// local development (PASSWORD_RESET_URL and EMAIL_VERIFY_URL point at them unless a front end of
// its own takes their place). None has an inline script: each loads its script from the static
// assets in public/, so each CSP allows scripts from this origin only.
import { SwaggerUI } from "@hono/swagger-ui";
import { NO_STORE } from "../lib/error-handler";
import { createRouter } from "../lib/openapi";

/** Swagger UI sets style attributes (React), so styles keep 'unsafe-inline'; scripts do not. */
const docsCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const OPENAPI_URL = "/openapi.json";

/** Swagger UI's icon, which every page shows (else browsers ask for a /favicon.ico). */
const ICON = "/apidocs/assets/swagger-ui-dist/favicon-32x32.png";

const pageCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

// Swagger UI is booted by public/apidocs/assets/swagger-ui-boot.js (which also repairs a pasted
// "Bearer eyJ..." in Authorize), not by the inline script this package writes by default.
const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>User Management API</title>
<link rel="icon" href="${ICON}">
</head>
<body>
${SwaggerUI({
  url: OPENAPI_URL,
  baseUrl: "/apidocs/assets",
  manuallySwaggerUIHtml: (asset) =>
    [
      `<div id="swagger-ui" data-url="${OPENAPI_URL}"></div>`,
      ...asset.css.map((href) => `<link rel="stylesheet" href="${href}">`),
      ...asset.js.map((src) => `<script src="${src}"></script>`),
      '<script src="/apidocs/assets/swagger-ui-boot.js"></script>',
    ].join("\n"),
})}
</body>
</html>
`;

type Page = { title: string; intro: string; form: string };

/** A page of one form, driven by public/pages/form.js: it posts the fields as JSON. */
const page = ({ title, intro, form }: Page) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · User Management API</title>
<link rel="icon" href="${ICON}">
<link rel="stylesheet" href="/pages/pages.css">
<script src="/pages/form.js" defer></script>
</head>
<body>
<main>
<h1>${title}</h1>
<p>${intro}</p>
${form}
<p id="result" role="status" hidden></p>
<p class="links"><a href="/apidocs">API documentation</a></p>
</main>
</body>
</html>
`;

const resetPasswordPage = page({
  title: "Choose a new password",
  intro:
    "At least 8 characters and at most 72 bytes; common passwords and ones containing your username are refused. Every session of the account ends.",
  // The hidden username (the account's email, from the link's #email=) tells password managers
  // whose password this is; it has no name, so it is not posted.
  form: `<form data-endpoint="/auth/reset-password" data-token-field="reset_token">
<input id="username" type="email" autocomplete="username" hidden>
<label>New password <input name="new_password" type="password" autocomplete="new-password" minlength="8" required></label>
<label>Repeat it <input name="repeat" data-same-as="new_password" type="password" autocomplete="new-password" required></label>
<button type="submit">Set the new password</button>
</form>`,
});

const verifyEmailPage = page({
  title: "Verify your email address",
  intro: "Confirm that this address is yours.",
  form: `<form data-endpoint="/auth/verify-email" data-token-field="token">
<button type="submit">Verify my email address</button>
</form>`,
});

function htmlPage(html: string, csp: string) {
  return new Response(html, {
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": csp,
      ...NO_STORE,
    },
  });
}

export const pagesRouter = createRouter();
for (const path of ["/apidocs", "/apidocs/"]) {
  pagesRouter.get(path, () => htmlPage(docsPage, docsCsp));
}
pagesRouter.get("/reset-password", () => htmlPage(resetPasswordPage, pageCsp));
pagesRouter.get("/verify-email", () => htmlPage(verifyEmailPage, pageCsp));
