// The key set that signs and verifies access tokens (JWT_SIGNING_KEYS): its schema, the public
// JWKS it publishes, and the example set that tests use and production refuses. Free of crypto
// and of the configuration module, so env.ts, the tests' config and the key tool all read it.
import { z } from "zod";

export const SIGNING_ALGORITHMS = ["ES256", "EdDSA"] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/**
 * current: signs (exactly one); next: published so caches learn it before it signs; previous:
 * no longer signs, still verifies the tokens it signed until they expire.
 */
export const KEY_STATUSES = ["current", "next", "previous"] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

// A P-256 coordinate or scalar and an Ed25519 key are all 32 bytes: 43 base64url characters.
const bytes32 = z.string().regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, "must be 32 bytes");

const kid = z.string().regex(/^[\w.-]{1,64}$/, "must be 1-64 letters, digits, '_', '-' or '.'");
const status = z.enum(KEY_STATUSES);

// Fields in the order a person reading the set wants them: which key, what it does, then the key.
const signingKeySchema = z.discriminatedUnion("alg", [
  z.object({
    kid,
    status,
    alg: z.literal("ES256"),
    kty: z.literal("EC"),
    crv: z.literal("P-256"),
    x: bytes32,
    y: bytes32,
    d: bytes32,
  }),
  z.object({
    kid,
    status,
    alg: z.literal("EdDSA"),
    kty: z.literal("OKP"),
    crv: z.literal("Ed25519"),
    x: bytes32,
    d: bytes32,
  }),
]);

/** One private JWK of the set, with its status. Unknown JWK members (`use`, `key_ops`) are dropped. */
export type SigningKey = z.output<typeof signingKeySchema>;

/** The statuses in the order the JWKS lists them: the signing key first. */
const byStatus = (a: SigningKey, b: SigningKey) =>
  KEY_STATUSES.indexOf(a.status) - KEY_STATUSES.indexOf(b.status);

/**
 * JWT_SIGNING_KEYS: a JSON array of private JWKs with unique `kid`s and exactly one `current`.
 * Messages never quote the value: it is a secret.
 */
export const signingKeySetSchema = z
  .string({ error: "is required (npm run keys -- generate)" })
  .transform((text, ctx): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a JSON array of private JWKs" });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(signingKeySchema, "must be a JSON array of private JWKs")
      .min(1, "must hold at least one key")
      .superRefine((keys, ctx) => {
        const kids = keys.map((key) => key.kid);
        if (new Set(kids).size !== kids.length) {
          ctx.addIssue({ code: "custom", message: "must give every key a different kid" });
        }
        const current = keys.filter((key) => key.status === "current").length;
        if (current !== 1) {
          ctx.addIssue({
            code: "custom",
            message: `must have exactly one key with status current, not ${current}`,
          });
        }
      })
      .transform((keys) => keys.toSorted(byStatus)),
  );

/** A key's public half as a JWK: what the JWKS publishes. Never `d`. */
export function publicJwk(key: SigningKey) {
  const { kid, alg, kty, crv, x } = key;
  return {
    kty,
    crv,
    x,
    ...(key.alg === "ES256" ? { y: key.y } : {}),
    kid,
    alg,
    use: "sig" as const,
  };
}

/**
 * The key set the tests run with and the documentation may quote: public by being in the
 * repository, so outside local development a set holding any of its keys is refused.
 */
export const EXAMPLE_SIGNING_KEYS: SigningKey[] = [
  {
    kid: "example-es256",
    status: "current",
    alg: "ES256",
    kty: "EC",
    crv: "P-256",
    x: "hcJ6RdUUMXUpamcoY0gY9UQmP91TnMNTP-gQXw_qD6E",
    y: "QY8r1s9822AuWeBWWM_3p1ju4tviXsuAR-2u2ySrwGA",
    d: "lNAdgnsJlsb8a1FVqRo7qojDe8Rpt_u7A9_5E23tWfI",
  },
];

/** Whether the set holds a key of EXAMPLE_SIGNING_KEYS (by its private part, whatever its kid). */
export const holdsExampleKey = (keys: SigningKey[]) =>
  keys.some((key) => EXAMPLE_SIGNING_KEYS.some((example) => example.d === key.d));

/** The Web Crypto algorithm of each JWS algorithm, to import its keys and to sign. */
export const WEB_CRYPTO_ALGORITHMS = {
  ES256: {
    import: { name: "ECDSA", namedCurve: "P-256" },
    sign: { name: "ECDSA", hash: "SHA-256" },
  },
  EdDSA: { import: { name: "Ed25519" }, sign: { name: "Ed25519" } },
} as const;

/**
 * A fresh key for the set (`npm run keys`, `npm run dev`, the rotation tests): its kid says when
 * it was made, so a set read by a person shows its history.
 */
export async function generateSigningKey(
  alg: SigningAlgorithm,
  status: KeyStatus,
): Promise<SigningKey> {
  const pair = (await crypto.subtle.generateKey(WEB_CRYPTO_ALGORITHMS[alg].import, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(4)), (byte) =>
    byte.toString(16).padStart(2, "0"),
  ).join("");
  const kid = `${new Date().toISOString().slice(0, 10)}-${suffix}`;
  return signingKeySchema.parse({ ...jwk, kid, alg, status });
}
