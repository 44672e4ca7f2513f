import { z } from "@hono/zod-openapi";
import { KEY_STATUSES } from "../../lib/signing-keys";

const base64url = (description: string) =>
  z.string().openapi({ description, example: "hcJ6RdUUMXUpamcoY0gY9UQmP91TnMNTP-gQXw_qD6E" });

const PublicJwkSchema = z
  .object({
    kty: z.enum(["EC", "OKP"]).openapi({ description: "EC for ES256, OKP for EdDSA" }),
    crv: z.enum(["P-256", "Ed25519"]),
    x: base64url("The public key (EC: its x coordinate), base64url"),
    y: base64url("EC only: the public key's y coordinate, base64url").optional(),
    kid: z.string().openapi({
      description: "The `kid` of the access tokens this key signs",
      example: "2026-12-06-1f2e3d4c",
    }),
    alg: z
      .enum(["ES256", "EdDSA"])
      .openapi({ description: "The only algorithm this key verifies" }),
    use: z.literal("sig"),
  })
  .openapi("PublicJwk", { description: "The public half of a signing key (RFC 7517)" });

export const JwksSchema = z
  .object({
    keys: z.array(PublicJwkSchema).openapi({
      description: `Every ${KEY_STATUSES.join(", ")} key of JWT_SIGNING_KEYS, the one that signs first`,
    }),
  })
  .openapi("Jwks", {
    example: {
      keys: [
        {
          kty: "EC",
          crv: "P-256",
          x: "hcJ6RdUUMXUpamcoY0gY9UQmP91TnMNTP-gQXw_qD6E",
          y: "QY8r1s9822AuWeBWWM_3p1ju4tviXsuAR-2u2ySrwGA",
          kid: "2026-12-06-1f2e3d4c",
          alg: "ES256",
          use: "sig",
        },
      ],
    },
  });

export const IntrospectSchema = z
  .strictObject({
    token: z.string().min(1).max(8192).openapi({
      description: "An access token, as a client sent it to the resource server",
    }),
  })
  .openapi("IntrospectRequest");

const ActiveSchema = z
  .object({
    active: z.literal(true),
    sub: z
      .uuid()
      .openapi({ description: "The user id", example: "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70" }),
    role: z.enum(["USER", "ADMIN"]),
    sid: z.uuid().openapi({
      description: "The session (see GET /users/me/sessions)",
      example: "0193a4b2-8d2f-7e4b-a021-3c4d5e6f7081",
    }),
    exp: z.int().openapi({ description: "Expiry, seconds since the epoch", example: 1796541433 }),
    iat: z
      .int()
      .openapi({ description: "Issue time, seconds since the epoch", example: 1796540533 }),
  })
  .openapi("IntrospectionActive");

const InactiveSchema = z
  .strictObject({ active: z.literal(false) })
  .openapi("IntrospectionInactive", {
    description: "Any token that does not verify, has expired or whose user or session has ended",
  });

export const IntrospectionSchema = z.union([ActiveSchema, InactiveSchema]);
