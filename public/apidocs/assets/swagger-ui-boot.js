// Boots Swagger UI on /apidocs. It is a file rather than an inline script so that the page's
// Content-Security-Policy can allow scripts from this origin only.
"use strict";

/**
 * Authorize sends `Authorization: Bearer <what was pasted>`, so a pasted "Bearer eyJ..." would go
 * out as "Bearer Bearer eyJ...". Keep one "Bearer " and drop stray whitespace around the token.
 */
function withOneBearer(request) {
  const headers = request.headers || {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (name.toLowerCase() === "authorization" && typeof value === "string") {
      headers[name] = value.trim().replace(/^(?:Bearer\s+)+/i, "Bearer ");
    }
  }
  return request;
}

window.addEventListener("load", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.url,
    dom_id: "#swagger-ui",
    persistAuthorization: true,
    displayRequestDuration: true,
    requestInterceptor: withOneBearer,
    // The public validator badge would load an image from another origin.
    validatorUrl: null,
  });
});
