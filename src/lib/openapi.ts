import { OpenAPIHono, type RouteConfig, type RouteHandler, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { PROBLEMS, type ProblemCode, problems, STATUS_TITLES } from "./problems";
import { illFormedPath, illFormedQueryParameter, isUtf8 } from "./unicode";

type Target = "json" | "form" | "query" | "param" | "header" | "cookie";

const locationOf = (target: Target) =>
  target === "query" || target === "header" ? target : target === "param" ? "path" : undefined;

/**
 * Text that is not valid Unicode, which the schemas cannot see: a JSON body that is not UTF-8
 * (its bytes are kept by the body guard, middleware/request-guards.ts), a lone surrogate in any
 * string of the validated input, a query escape that does not decode to UTF-8.
 */
async function refuseInvalidUnicode(target: Target, data: unknown, c: Context): Promise<void> {
  const location = locationOf(target);
  if (target === "json") {
    if (!isUtf8(await c.req.arrayBuffer())) throw problems.invalidUnicode("(body)");
  }
  if (target === "query") {
    const name = illFormedQueryParameter(new URL(c.req.url).search);
    if (name !== undefined) throw problems.invalidUnicode(`query.${name}`);
  }
  const path = illFormedPath(data);
  if (path) throw problems.invalidUnicode([location, ...path].filter(Boolean).join("."));
}

/**
 * Bodies are application/json only. Hono's validator reads any `+json` type as JSON, but
 * application/merge-patch+json promises RFC 7396 (a null removes a field), which PATCH does not
 * do, and other JSON types promise other semantics still: a 415, not a silent reinterpretation.
 */
function refuseOtherJsonTypes(c: Context): void {
  const type = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") throw problems.unsupportedMediaType(c.req.method);
}

/**
 * Every router comes from here so that request validation fails the same way everywhere: a 422
 * problem with one `errors[]` entry per field, for what the schemas refuse and for invalid
 * Unicode in any part of the request they validate.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: async (result, c) => {
      if (result.target === "json") refuseOtherJsonTypes(c);
      if (!result.success) throw problems.validation(result.error, locationOf(result.target));
      await refuseInvalidUnicode(result.target, result.data, c);
    },
  });
}

/** A handler typed from its route (request validation, responses) and the app's environment. */
export type AppRouteHandler<R extends RouteConfig, E extends AppEnv = AppEnv> = RouteHandler<R, E>;

const problemCodes = Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]];

const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "about:blank" }),
    title: z.string().openapi({ example: "Unprocessable Content" }),
    status: z.number().int().openapi({ example: 422 }),
    detail: z.string().openapi({ example: PROBLEMS.validation_failed.detail }),
    code: z.enum(problemCodes).openapi({ example: "validation_failed" }),
    instance: z.string().optional().openapi({ example: "/auth/register" }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ example: [{ path: "email", message: "Invalid email address" }] }),
    request_id: z.string().openapi({ example: "9c1f6a0e-3b1d-4c55-9d7e-2f0a1b2c3d4e" }),
  })
  .openapi("Problem", { description: "RFC 9457 problem details" });

/** What every request with a JSON body can get wrong. */
export const BODY_PROBLEMS = [
  "malformed_json",
  "payload_too_large",
  "unsupported_media_type",
  "validation_failed",
] as const satisfies ProblemCode[];
/** What every route that needs an access token can answer. */
export const AUTH_PROBLEMS = ["unauthorized", "invalid_token"] as const satisfies ProblemCode[];
/** What any route can answer when the server or its database fails. */
export const SERVER_PROBLEMS = [
  "internal_error",
  "configuration_error",
  "database_unavailable",
] as const satisfies ProblemCode[];

type StatusOf<C extends ProblemCode> = (typeof PROBLEMS)[C]["status"];
type ProblemResponse = {
  description: string;
  content: {
    "application/problem+json": {
      schema: typeof ProblemSchema;
      examples: Record<string, { summary: string; value: object }>;
    };
  };
};

/**
 * The documented error responses of a route, from the codes it can answer: one response per
 * status, listing its codes, with an example of each taken from the problem catalogue.
 */
export function problemResponses<const C extends ProblemCode>(
  ...codes: (C | readonly C[])[]
): Record<StatusOf<C>, ProblemResponse> {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of new Set(codes.flat() as C[])) {
    const { status } = PROBLEMS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      status,
      {
        description: `Problem with \`code\` ${list.map((code) => `\`${code}\``).join(", ")}`,
        content: {
          "application/problem+json": {
            schema: ProblemSchema,
            examples: Object.fromEntries(
              list.map((code) => [
                code,
                {
                  summary: PROBLEMS[code].detail,
                  value: {
                    type: "about:blank",
                    title: STATUS_TITLES[status],
                    status,
                    code,
                    detail: PROBLEMS[code].detail,
                    request_id: "9c1f6a0e-3b1d-4c55-9d7e-2f0a1b2c3d4e",
                  },
                },
              ]),
            ),
          },
        },
      },
    ]),
  ) as Record<StatusOf<C>, ProblemResponse>;
}

/** The documented header of a response that carries tokens or personal data. */
export const NO_STORE_HEADER = {
  "Cache-Control": { schema: { type: "string" as const, example: "no-store" } },
};

/** A request or response body of the given schema, as application/json. */
export const jsonContent = <T extends z.ZodType>(schema: T) => ({
  "application/json": { schema },
});

export const MessageSchema = z.object({ message: z.string() }).openapi("Message");

const HEADERS = {
  "X-Request-Id": {
    description:
      "This request's id: a sane incoming `X-Request-Id` (up to 128 characters) echoed, else a new UUID. Error bodies repeat it as `request_id`; quote it when reporting a problem.",
    schema: { type: "string", maxLength: 128 },
  },
  "WWW-Authenticate": {
    description:
      'The RFC 6750 challenge: `Bearer realm="user-management-api"`, with `error="invalid_token"` when the credentials sent were invalid, expired or revoked.',
    schema: { type: "string" },
  },
  "Retry-After": {
    description: "Seconds to wait before trying again.",
    schema: { type: "integer", minimum: 1 },
  },
} as const;

/** Headers of a response by its status, beside the X-Request-Id of every response. */
const HEADERS_BY_STATUS: Record<string, (keyof typeof HEADERS)[]> = {
  "401": ["WWW-Authenticate"],
  "429": ["Retry-After"],
  "503": ["Retry-After"],
};

type DocumentResponse = { headers?: Record<string, unknown> };
type Document = {
  paths?: Record<string, Record<string, { responses?: Record<string, DocumentResponse> }>>;
  components?: Record<string, unknown>;
};

/**
 * The generated document with the headers the middleware and the error handler add to responses,
 * which no route declares itself: X-Request-Id on every response, the RFC 6750 challenge on
 * every 401, Retry-After on every 429 and 503. Declared once as components and referenced.
 */
export function withCommonHeaders(generated: object): object {
  const document = generated as Document;
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const names = ["X-Request-Id", ...(HEADERS_BY_STATUS[status] ?? [])] as const;
        response.headers = {
          ...response.headers,
          ...Object.fromEntries(
            names.map((name) => [name, { $ref: `#/components/headers/${name}` }]),
          ),
        };
      }
    }
  }
  document.components = { ...document.components, headers: HEADERS };
  return document;
}
