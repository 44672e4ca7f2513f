import { requestId } from "hono/request-id";
import type { RouterRoute } from "hono/types";
import { handleError } from "./lib/error-handler";
import { createRouter, withCommonHeaders } from "./lib/openapi";
import { problems } from "./lib/problems";
import { provideContext } from "./middleware/context";
import { corsHeaders } from "./middleware/cors";
import { limitBodySize } from "./middleware/request-guards";
import { requestLog } from "./middleware/request-log";
import { securityHeaders } from "./middleware/security-headers";
import { pagesRouter } from "./pages";
import { authRouter } from "./routes/auth";
import { eventsRouter } from "./routes/events";
import { healthRouter } from "./routes/health";
import { keysRouter } from "./routes/keys";
import { mfaRouter } from "./routes/mfa";
import { rootRouter } from "./routes/root";
import { sessionsRouter } from "./routes/sessions";
import { usersRouter } from "./routes/users";

/**
 * The methods each path of the app takes, from its routes (middleware is registered for "ALL"),
 * so a known path asked with another method is a 405 with `Allow` rather than a 404.
 */
function methodsByPath(routes: RouterRoute[]): (path: string) => string[] {
  const patterns = new Map<string, Set<string>>();
  for (const { method, path } of routes) {
    if (method === "ALL") continue;
    const methods = patterns.get(path) ?? new Set<string>();
    methods.add(method.toUpperCase());
    patterns.set(path, methods);
  }
  const matchers = [...patterns].map(([path, methods]) => {
    const segments = path.split("/").map((segment) =>
      // Hono's `:param` is one path segment; every other segment is literal.
      segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    );
    return { regex: new RegExp(`^${segments.join("/")}$`), methods };
  });
  return (path) => {
    const allowed = new Set<string>();
    for (const { regex, methods } of matchers) {
      if (regex.test(path)) for (const method of methods) allowed.add(method);
    }
    // Hono answers HEAD wherever GET is served.
    if (allowed.has("GET")) allowed.add("HEAD");
    return [...allowed];
  };
}

const DOCUMENT_CONFIG = {
  openapi: "3.1.0",
  info: {
    title: "User Management API",
    version: "1.0.0",
    contact: { name: "The maintainers of this User Management API deployment" },
    license: { name: "MIT", identifier: "MIT" },
    description: [
      "Registration, login with JWTs, password reset by email and admin user management, on Cloudflare Workers.",
      "",
      "**How to start, in three steps** (each operation: *Try it out*, then *Execute*):",
      "",
      "1. **Register** with `POST /auth/register`. Its `admin` example registers alice as an ADMIN with the local admin key of `npm run dev` (`SECRET_ADMIN_KEY` in `.dev.vars`); its `user` example registers bob, a USER.",
      "2. **Log in** with `POST /auth/login`: its example is alice's email and password. Copy the `access_token` of the answer.",
      "3. **Authorize** (the button at the top): paste the token (a `Bearer ` prefix is removed). Every operation with a lock now sends it; `GET /users/me` shows who you are.",
      "",
      "**The rules:**",
      "",
      "Every error is an RFC 9457 application/problem+json body. Every response carries `X-Request-Id`; a 401 carries `WWW-Authenticate: Bearer` (RFC 6750), a 429 and a 503 `Retry-After`, and a known path asked with a method it does not take is 405 `method_not_allowed` with `Allow` listing the methods it takes.",
      "",
      "Request bodies are `application/json` (a `charset` parameter is fine). Any other media type is 415 `unsupported_media_type` with `Accept-Post` (or `Accept-Patch` on PATCH), `+json` types included: a PATCH body is a partial user of application/json, not an `application/merge-patch+json` document (where `null` would remove a field).",
      "",
      "Text must be valid Unicode: a JSON body that is not UTF-8, a lone surrogate in any string and a query escape that is not UTF-8 are 422 validation_failed, never stored altered.",
    ].join("\n"),
  },
  // Relative: whichever origin serves this document (a workers.dev name, a custom domain, the
  // dev server) is the API, so Swagger UI calls the deployment the page came from.
  servers: [{ url: "/", description: "This deployment: the origin that serves this document" }],
  tags: [
    { name: "Health", description: "Liveness, readiness, and where to start" },
    { name: "Auth", description: "Registration, login, sessions and passwords" },
    { name: "Two-factor", description: "TOTP two-factor login and recovery codes" },
    { name: "Users", description: "User management" },
    { name: "Sessions", description: "The logins of a user, visible and endable" },
    { name: "Security events", description: "The append-only security log" },
  ],
};

export function createApp() {
  const app = createRouter();

  app.use(requestId({ limitLength: 128 }));
  app.use(requestLog);
  app.use(securityHeaders);
  app.use(provideContext);
  app.use(corsHeaders);
  app.use(limitBodySize);

  // One chain, so the app's type carries every route for `hc<AppType>` (hono/client).
  const api = app
    .route("/", rootRouter)
    .route("/", healthRouter)
    .route("/", authRouter)
    .route("/", keysRouter)
    .route("/", mfaRouter)
    .route("/", usersRouter)
    .route("/", sessionsRouter)
    .route("/", eventsRouter);
  app.route("/", pagesRouter);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "The `access_token` of POST /auth/login. In Swagger UI paste the token alone; a pasted `Bearer ` prefix is removed. Clients of the original API may send the bare token without `Bearer`.",
  });
  let document: object | undefined;
  // Built once per isolate: the routes do not change while it runs.
  app.get("/openapi.json", (c) => {
    document ??= withCommonHeaders(app.getOpenAPI31Document(DOCUMENT_CONFIG));
    return c.json(document);
  });

  let allowedMethods: ((path: string) => string[]) | undefined;
  app.notFound((c) => {
    allowedMethods ??= methodsByPath(app.routes);
    const allowed = allowedMethods(c.req.path);
    if (allowed.length > 0) throw problems.methodNotAllowed(c.req.method, c.req.path, allowed);
    throw problems.routeNotFound(c.req.method, c.req.path);
  });
  app.onError(handleError);

  return api;
}

/** The app's routes as types: `hc<AppType>(baseUrl)` from hono/client is a typed client. */
export type AppType = ReturnType<typeof createApp>;
