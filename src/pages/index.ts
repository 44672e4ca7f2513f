// The HTML the Worker serves: Swagger UI at /apidocs, without an inline script (it loads its
// script from the static assets in public/), so its CSP allows scripts from this origin only.
// The other pages (/reset-password and /verify-email, which the emails link to, and /passkeys)
// are static files in public/, served without running the Worker (public/_headers).
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
