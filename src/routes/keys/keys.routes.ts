import { createRoute } from "@hono/zod-openapi";
import {
  BODY_PROBLEMS,
  jsonContent,
  NO_STORE_HEADER,
  problemResponses,
  SERVER_PROBLEMS,
} from "../../lib/openapi";
import { open } from "../presets";
import { IntrospectionSchema, IntrospectSchema, JwksSchema } from "./keys.schemas";

export const jwks = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  operationId: "jwks",
  tags: ["Auth"],
  ...open,
  summary: "The public keys that verify access tokens (JWKS)",
  description:
    "A resource server verifies access tokens with these keys alone: the key whose `kid` the token's header names, with that key's `alg` only (ES256 or EdDSA), then `exp`, `iss` and `aud` (JWT_ISSUER, JWT_AUDIENCE). It lists the key that signs and the keys being rotated in or out, and may be cached for 10 minutes: a new key is published at least that long before it signs. It holds no secret.",
  responses: {
    200: {
      description: "The key set",
      headers: {
        "Cache-Control": { schema: { type: "string", example: "public, max-age=600" } },
      },
      content: jsonContent(JwksSchema),
    },
    ...problemResponses("internal_error", "configuration_error"),
  },
});

export const introspect = createRoute({
  method: "post",
  path: "/auth/introspect",
  operationId: "introspect",
  tags: ["Auth"],
  ...open,
  summary: "Is this access token live? (RFC 7662)",
  description:
    "For a resource server that must see a logout, deactivation or password change at once rather than when the token expires: one database round trip, the same rule as every authenticated request of this API. `active: false` says nothing about why. It tells no more than the token itself carries, so it needs no credentials; it is rate limited per client IP (600 a minute): verify tokens with the JWKS and introspect only where immediate revocation matters.",
  request: { body: { required: true, content: jsonContent(IntrospectSchema) } },
  responses: {
    200: {
      description: "Whether the token is live, and if so whose it is",
      headers: NO_STORE_HEADER,
      content: jsonContent(IntrospectionSchema),
    },
    ...problemResponses(BODY_PROBLEMS, "rate_limited", SERVER_PROBLEMS),
  },
});
