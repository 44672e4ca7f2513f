import { swaggerUI } from "@hono/swagger-ui";
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv, Config } from "./env";
import { handleError } from "./lib/error-handler";
import { createRouter } from "./lib/openapi";
import { problems } from "./lib/problems";
import { provideContext } from "./middleware/context";
import { limitBodySize } from "./middleware/request-guards";
import { authRouter } from "./routes/auth";
import { eventsRouter } from "./routes/events";
import { healthRouter } from "./routes/health";
import { mfaRouter } from "./routes/mfa";
import { sessionsRouter } from "./routes/sessions";
import { usersRouter } from "./routes/users";

const apiCsp = "default-src 'none'; frame-ancestors 'none'";
// Swagger UI is one inline boot script plus its own files, all served by this Worker.
const docsCsp =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

// The CORS middleware depends only on the configuration, which is parsed once per env object:
// build it once for each, not on every request.
const corsByConfig = new WeakMap<Config, MiddlewareHandler>();

function corsFor(config: Config): MiddlewareHandler {
  let middleware = corsByConfig.get(config);
  if (!middleware) {
    const origins = config.corsOrigins;
    middleware = cors({
      origin: origins === "*" ? "*" : (origin) => (origins.includes(origin) ? origin : null),
      allowHeaders: ["Authorization", "Content-Type", "If-Match", "X-Request-Id"],
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      exposeHeaders: ["X-Request-Id", "X-Total-Count", "Link", "Location", "ETag", "Retry-After"],
      maxAge: 600,
    });
    corsByConfig.set(config, middleware);
  }
  return middleware;
}

export function createApp() {
  const app = createRouter();

  app.use(requestId({ limitLength: 128 }));
  app.use(async (c, next) => {
    await next();
    if (!c.res.headers.has("Content-Security-Policy")) {
      c.res.headers.set("Content-Security-Policy", apiCsp);
    }
  });
  app.use(secureHeaders({ contentSecurityPolicy: undefined, crossOriginEmbedderPolicy: false }));
  app.use(provideContext);
  app.use((c, next) => corsFor(c.var.config)(c, next));
  app.use(limitBodySize);

  app.route("/", healthRouter);
  app.route("/", authRouter);
  app.route("/", mfaRouter);
  app.route("/", usersRouter);
  app.route("/", sessionsRouter);
  app.route("/", eventsRouter);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An access token from POST /auth/login. The bare token is accepted too.",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "User Management API",
      version: "1.0.0",
      description:
        "Registration, login with JWTs, password reset by email and admin user management, on Cloudflare Workers. Every error is an RFC 9457 application/problem+json body. Text must be valid Unicode: a JSON body that is not UTF-8, a lone surrogate in any string and a query escape that is not UTF-8 are 422 validation_failed, never stored altered.",
    },
    tags: [
      { name: "Health", description: "Liveness and readiness" },
      { name: "Auth", description: "Registration, login, sessions and passwords" },
      { name: "Two-factor", description: "TOTP two-factor login and recovery codes" },
      { name: "Users", description: "User management" },
      { name: "Sessions", description: "The logins of a user, visible and endable" },
      { name: "Security events", description: "The append-only security log" },
    ],
  });

  const docs = swaggerUI<AppEnv>({
    url: "/openapi.json",
    baseUrl: "/apidocs/assets",
    title: "User Management API",
    persistAuthorization: true,
  });
  for (const path of ["/apidocs", "/apidocs/"]) {
    app.get(path, (c, next) => {
      c.header("Content-Security-Policy", docsCsp);
      return docs(c, next);
    });
  }

  app.notFound((c) => {
    throw problems.routeNotFound(c.req.method, c.req.path);
  });
  app.onError(handleError);

  return app;
}
