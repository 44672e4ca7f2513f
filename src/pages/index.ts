// The HTML the Worker serves: Swagger UI at /apidocs, the two pages the emails link to in local
// development (PASSWORD_RESET_URL and EMAIL_VERIFY_URL point at them unless a front end of its
// own takes their place), and /passkeys, where a developer tries passkeys in a real browser. None has an inline script: each loads its script from the static
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

/** A page's text and forms, and the script in public/ that drives them. */
type Page = { title: string; intro: string; form: string; script?: string };

/** A page of forms, by default one driven by public/pages/form.js (it posts the fields as JSON). */
const page = ({ title, intro, form, script = "/pages/form.js" }: Page) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · User Management API</title>
<link rel="icon" href="${ICON}">
<link rel="stylesheet" href="/pages/pages.css">
<script src="${script}" defer></script>
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

// Everything it does goes through the public API with the browser's own WebAuthn JSON helpers.
// Passkeys work only where the page's host is WEBAUTHN_RP_ID (localhost under `npm run dev`).
const passkeysPage = page({
  title: "Passkeys",
  intro:
    "Sign in, add a passkey to the account, then sign in with it. Open this page at localhost (not 127.0.0.1): a passkey belongs to the relying party's domain.",
  script: "/pages/passkeys.js",
  form: `<section>
<h2>1. Sign in</h2>
<p id="who">Not signed in.</p>
<div id="sign-in">
<form id="password-form">
<label>Email <input name="email" type="email" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in with password</button>
</form>
<details>
<summary>Or use an access token</summary>
<form id="token-form">
<label>Access token <input name="token" autocomplete="off" spellcheck="false" required></label>
<button type="submit">Use this token</button>
</form>
</details>
</div>
<button id="sign-out" type="button" hidden>Sign out</button>
</section>
<section id="add" hidden>
<h2>2. Add a passkey</h2>
<form id="add-form">
<label>Name <input name="name" maxlength="64" placeholder="This laptop"></label>
<label>Current password <small>(not needed within 5 minutes of signing in)</small> <input name="current_password" type="password" autocomplete="current-password"></label>
<button type="submit">Add a passkey</button>
</form>
<p id="no-passkeys">No passkey yet.</p>
<ul id="passkeys"></ul>
</section>
<section>
<h2>3. Sign in with a passkey</h2>
<form id="passkey-form">
<label>Email <small>(optional: leave it empty to pick one of this device's passkeys)</small> <input name="email" type="email" autocomplete="username webauthn"></label>
<button type="submit">Sign in with a passkey</button>
</form>
</section>`,
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
pagesRouter.get("/passkeys", () => htmlPage(passkeysPage, pageCsp));
