import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { validationError } from "./problem";

/**
 * Every router comes from here so that request validation fails the same way everywhere: a 422
 * problem with one `errors[]` entry per field.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const location =
          result.target === "query" || result.target === "header"
            ? result.target
            : result.target === "param"
              ? "path"
              : undefined;
        throw validationError(result.error, location);
      }
    },
  });
}

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "about:blank" }),
    title: z.string().openapi({ example: "Unprocessable Content" }),
    status: z.number().int().openapi({ example: 422 }),
    detail: z.string().openapi({ example: "The request did not pass validation." }),
    code: z.string().openapi({ example: "validation_failed" }),
    instance: z.string().optional().openapi({ example: "/auth/register" }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ example: [{ path: "email", message: "Invalid email address" }] }),
    request_id: z.string().openapi({ example: "9c1f6a0e-3b1d-4c55-9d7e-2f0a1b2c3d4e" }),
  })
  .openapi("Problem", { description: "RFC 9457 problem details" });

const problemDescriptions: Record<number, string> = {
  400: "Malformed request (for example invalid JSON)",
  401: "Missing, invalid, expired or revoked credentials",
  403: "Authenticated but not allowed",
  404: "Not found",
  409: "Conflict with the current state",
  412: "If-Match does not match the current ETag",
  413: "Body larger than 64 KiB",
  415: "Body is not application/json",
  422: "Validation failed; `errors[]` names each field",
  429: "Rate limited; retry after `Retry-After` seconds",
  500: "Unexpected failure; the body carries only the request id",
  503: "The database is unavailable",
};

/** The documented error responses of a route, each an application/problem+json body. */
export function problems<const S extends number>(...statuses: S[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: problemDescriptions[status] ?? "Error",
        content: { "application/problem+json": { schema: ProblemSchema } },
      },
    ]),
  ) as Record<
    S,
    {
      description: string;
      content: { "application/problem+json": { schema: typeof ProblemSchema } };
    }
  >;
}

/** A request or response body of the given schema, as application/json. */
export const jsonContent = <T extends z.ZodType>(schema: T) => ({
  "application/json": { schema },
});

export const MessageSchema = z.object({ message: z.string() }).openapi("Message");
