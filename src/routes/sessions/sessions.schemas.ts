import { z } from "@hono/zod-openapi";
import { pageQuery } from "../../schemas/pagination";
import { idParam } from "../../schemas/user";

export const SessionSchema = z
  .object({
    id: z.uuid().openapi({ example: "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70" }),
    created_at: z.iso.datetime().openapi({ description: "When the session started (the login)" }),
    last_used_at: z.iso
      .datetime()
      .openapi({ description: "The last login or refresh of the session" }),
    user_agent: z.string().nullable().openapi({ example: "Mozilla/5.0 (X11; Linux x86_64)" }),
    ip: z.string().nullable().openapi({
      description: "The client's network: IPv4 /24 or IPv6 /48",
      example: "203.0.113.0/24",
    }),
    current: z
      .boolean()
      .openapi({ description: "Whether the access token of this request belongs to it" }),
  })
  .openapi("Session", { description: "A login and the refreshes that continued it" });

/** The `{id}` of a session. */
export const SessionIdParamSchema = idParam;

export const SessionsQuerySchema = z.object(pageQuery);
