import { z } from "zod";

/** What wrangler binds to the Worker: configuration strings plus runtime bindings. */
export type Bindings = {
  [key: string]: unknown;
  ASSETS?: Fetcher;
  LOGIN_LIMITER?: RateLimit;
  REGISTER_LIMITER?: RateLimit;
  FORGOT_PASSWORD_LIMITER?: RateLimit;
  RESET_PASSWORD_LIMITER?: RateLimit;
};

const seconds = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

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
    SECRET_ADMIN_KEY: optionalText,
    // The original project's spelling, kept as a fallback so old deployments keep their key.
    SECRETE_ADMIN_KEY: optionalText,
    ACCESS_TOKEN_TTL: seconds(900, 60, 86_400),
    REFRESH_TOKEN_TTL: seconds(2_592_000, 300, 31_536_000),
    RESET_TOKEN_TTL: seconds(900, 60, 86_400),
    BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(10),
    MAIL_PROVIDER: z.enum(["resend", "log"]).default("log"),
    MAIL_FROM: z.string().min(3).default("User API <no-reply@example.com>"),
    RESEND_API_KEY: optionalText,
    MAIL_API_URL: z.url({ protocol: /^https?$/ }).default("https://api.resend.com"),
    PASSWORD_RESET_URL: z
      .url({ protocol: /^https?$/ })
      .default("http://localhost:8787/reset-password"),
    CORS_ORIGINS: z.string().default("*"),
    NEON_FETCH_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  })
  .superRefine((config, ctx) => {
    if (config.MAIL_PROVIDER === "resend" && !config.RESEND_API_KEY) {
      ctx.addIssue({
        code: "custom",
        path: ["RESEND_API_KEY"],
        message: "is required when MAIL_PROVIDER is resend",
      });
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
    result = outcome.success
      ? outcome.data
      : new ConfigError(
          outcome.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`),
        );
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
    db: import("./db/client").Db;
  };
};
