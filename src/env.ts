import { z } from "zod";
import { holdsExampleKey, signingKeySetSchema } from "./lib/signing-keys";

/** The Workers Rate Limiting bindings of wrangler.toml: per client IP, per Cloudflare location. */
export const LIMITER_NAMES = [
  "LOGIN_LIMITER",
  "REGISTER_LIMITER",
  "FORGOT_PASSWORD_LIMITER",
  "RESET_PASSWORD_LIMITER",
  "CHANGE_PASSWORD_LIMITER",
  "VERIFY_EMAIL_LIMITER",
  "MFA_LIMITER",
  "INTROSPECT_LIMITER",
] as const;
export type LimiterName = (typeof LIMITER_NAMES)[number];

/** What wrangler binds to the Worker: configuration strings plus runtime bindings. */
export type Bindings = {
  [key: string]: unknown;
  ASSETS?: Fetcher;
  /** Workers Analytics Engine, for the auth metrics (lib/metrics.ts); optional. */
  METRICS?: AnalyticsEngineDataset;
} & Partial<Record<LimiterName, RateLimit>>;

/** The placeholder values the repository ships: refused outside local development. */
const EXAMPLE_JWT_SECRET = "change-me-change-me-change-me-change-me";
const EXAMPLE_ADMIN_KEYS = ["local-admin-key", "test-admin-key"];
const EXAMPLE_MFA_KEY = "bG9jYWwtZGV2ZWxvcG1lbnQtbWZhLWtleS0zMi1ieXRlcw==";

/**
 * Domains reserved for documentation and testing (RFC 2606, RFC 6761): no one receives mail or
 * serves pages there, so outside local development they are a placeholder nobody replaced.
 */
const isReservedDomain = (domain: string) =>
  /(^|\.)example\.(com|org|net)$|\.(example|test|invalid|localhost)$/i.test(domain);

/** Why an email link base cannot be used outside local development, if it cannot. */
function productionLinkProblem(value: string): string | undefined {
  const { protocol, hostname } = new URL(value);
  if (protocol !== "https:") return "must be an https: URL";
  if (isLoopbackHost(hostname)) return "must not point at this machine (a loopback host)";
  if (isReservedDomain(hostname)) return "is a placeholder (an example domain); set your own page";
  return undefined;
}

/** Hosts that are this machine: the only ones NEON_FETCH_ENDPOINT may name. */
const isLoopbackHost = (hostname: string) =>
  hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);

const seconds = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** The bytes of standard base64 (padding optional), or undefined when it is not base64. */
function base64Bytes(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  try {
    return atob(value.padEnd(Math.ceil(value.length / 4) * 4, "="));
  } catch {
    return undefined;
  }
}

const optionalText = z
  .string()
  .trim()
  .transform((value) => value || undefined)
  .optional();

const configSchema = z
  .object({
    DATABASE_URL: z
      .string({ error: "is required" })
      .regex(/^postgres(ql)?:\/\/\S+$/, "must be a postgres:// connection string"),
    JWT_SECRET: z.string({ error: "is required" }).min(32, "must be at least 32 characters"),
    JWT_SIGNING_KEYS: signingKeySetSchema,
    JWT_ISSUER: z.string().trim().min(1).max(200).default("user-management-api"),
    JWT_AUDIENCE: z.string().trim().min(1).max(200).default("user-management-api"),
    SECRET_ADMIN_KEY: optionalText,
    // The original project's spelling, kept as a fallback so old deployments keep their key.
    SECRETE_ADMIN_KEY: optionalText,
    ACCESS_TOKEN_TTL: seconds(900, 60, 86_400),
    REFRESH_TOKEN_TTL: seconds(2_592_000, 300, 31_536_000),
    RESET_TOKEN_TTL: seconds(900, 60, 86_400),
    REFRESH_REUSE_WINDOW: seconds(10, 0, 300),
    // The absolute lifetime of a session from its login: refreshes slide its idle expiry
    // (REFRESH_TOKEN_TTL), never past this.
    SESSION_MAX_AGE: seconds(7_776_000, 300, 315_360_000),
    // Seconds one database query may take (Neon's HTTP API) before it is a 503.
    DATABASE_TIMEOUT: seconds(10, 1, 120),
    BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(10),
    MAIL_PROVIDER: z.enum(["resend", "log"]).default("resend"),
    MAIL_FROM: z.string().min(3).default("User API <no-reply@example.com>"),
    RESEND_API_KEY: optionalText,
    // Seconds the mail provider may take; well under the ~30 s Workers give waitUntil work.
    MAIL_TIMEOUT: seconds(10, 1, 20),
    MAIL_API_URL: z.url({ protocol: /^https?$/ }).default("https://api.resend.com"),
    PASSWORD_RESET_URL: z
      .url({ protocol: /^https?$/ })
      .default("http://localhost:8787/reset-password"),
    EMAIL_VERIFY_URL: z.url({ protocol: /^https?$/ }).default("http://localhost:8787/verify-email"),
    VERIFY_TOKEN_TTL: seconds(86_400, 300, 2_592_000),
    REQUIRE_VERIFIED_EMAIL: z
      .enum(["true", "false"], "must be true or false")
      .default("false")
      .transform((value) => value === "true"),
    EVENTS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
    // Encrypts TOTP secrets at rest (AES-256-GCM with its first 32 bytes). Unset, two-factor
    // setup and the login of MFA users answer 503 mfa_unavailable; everything else works.
    MFA_ENCRYPTION_KEY: optionalText.refine(
      (value) => value === undefined || (base64Bytes(value)?.length ?? 0) >= 32,
      "must be base64 of at least 32 bytes (openssl rand -base64 32)",
    ),
    MAIL_APP_NAME: z.string().trim().min(1).max(100).default("User Management API"),
    CORS_ORIGINS: z.string().default("*"),
    // The request log line (middleware/request-log.ts): JSON for Workers Logs, `pretty` for a
    // terminal (npm run dev sets it), `off` to drop it (the metrics still count every request).
    LOG_FORMAT: z.enum(["json", "pretty", "off"]).default("json"),
    // Set by `npm run dev` for each run; GET /health echoes it (X-Dev-Run) so the dev server
    // knows the Worker that answers is its own, not one left over from another run.
    DEV_RUN_ID: optionalText,
    // It receives the whole DATABASE_URL, password included: only ever this machine.
    NEON_FETCH_ENDPOINT: z
      .url({ protocol: /^https?$/ })
      .refine((url) => isLoopbackHost(new URL(url).hostname), "must be a loopback URL")
      .optional(),
  })
  .superRefine((config, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: "custom", path: [path], message });
    // Local development and tests are exactly the setups that use the local SQL endpoint.
    const local = config.NEON_FETCH_ENDPOINT !== undefined;
    if (!local) {
      if (config.MAIL_PROVIDER === "log") {
        issue("MAIL_PROVIDER", "log is for local development only (it would print reset links)");
      }
      if (config.JWT_SECRET === EXAMPLE_JWT_SECRET) {
        issue("JWT_SECRET", "is the example value; set a random secret");
      }
      if (holdsExampleKey(config.JWT_SIGNING_KEYS)) {
        issue("JWT_SIGNING_KEYS", "holds the example key; generate a key set (npm run keys)");
      }
      const adminKey = config.SECRET_ADMIN_KEY ?? config.SECRETE_ADMIN_KEY;
      if (
        adminKey !== undefined &&
        (adminKey.length < 32 || EXAMPLE_ADMIN_KEYS.includes(adminKey))
      ) {
        issue("SECRET_ADMIN_KEY", "must be at least 32 characters and not an example value");
      }
      // A deploy that skipped a step would otherwise mail links to localhost from example.com,
      // visible only as a mail_failed log line while the API answers 202.
      for (const name of ["PASSWORD_RESET_URL", "EMAIL_VERIFY_URL"] as const) {
        const problem = productionLinkProblem(config[name]);
        if (problem) issue(name, problem);
      }
      const senderDomain = /@([^\s<>@]+)>?\s*$/.exec(config.MAIL_FROM)?.[1];
      if (!senderDomain || isReservedDomain(senderDomain)) {
        issue("MAIL_FROM", "must be an address at your own domain, not an example domain");
      }
      const mfaKey = config.MFA_ENCRYPTION_KEY;
      if (
        mfaKey !== undefined &&
        (mfaKey === EXAMPLE_MFA_KEY || /^\0*$/.test(base64Bytes(mfaKey) ?? ""))
      ) {
        issue("MFA_ENCRYPTION_KEY", "is the example or an all-zero key; set a random one");
      }
    }
    if (config.MAIL_PROVIDER === "resend" && !config.RESEND_API_KEY) {
      issue("RESEND_API_KEY", "is required when MAIL_PROVIDER is resend");
    }
  })
  .transform(({ SECRETE_ADMIN_KEY, ...config }) => ({
    ...config,
    SECRET_ADMIN_KEY: config.SECRET_ADMIN_KEY ?? SECRETE_ADMIN_KEY,
    corsOrigins:
      config.CORS_ORIGINS.trim() === "*"
        ? ("*" as const)
        : config.CORS_ORIGINS.split(",")
            .map((origin) => origin.trim())
            .filter(Boolean),
  }));

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

const parsed = new WeakMap<object, Config | ConfigError>();

/** Validates the bindings once per env object (wrangler hands every request the same one). */
export function loadConfig(env: Bindings): Config {
  let result = parsed.get(env);
  if (!result) {
    const strings = Object.fromEntries(
      Object.entries(env).filter(([, value]) => typeof value === "string" && value !== ""),
    );
    const outcome = configSchema.safeParse(strings);
    // A limit that protects accounts must never silently become "no limit".
    const missingLimiters = LIMITER_NAMES.filter((name) => !env[name]).map(
      (name) => `${name} is required (a [[ratelimits]] binding in wrangler.toml)`,
    );
    const problems = [
      ...(outcome.success
        ? []
        : outcome.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`)),
      ...missingLimiters,
    ];
    result = outcome.success && problems.length === 0 ? outcome.data : new ConfigError(problems);
    parsed.set(env, result);
  }
  if (result instanceof ConfigError) throw result;
  return result;
}

/** Hono's environment for every router: the bindings plus what the middleware puts in context. */
export type AppEnv = {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    config: Config;
    /** The problem code of an error answer (lib/error-handler.ts), for the request's log line. */
    problemCode?: string;
    db: import("./db/client").Db;
  };
};
