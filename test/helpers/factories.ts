// Test data through the public API: every test makes its own users with random names, so tests
// never depend on each other or on order.
import { expect } from "vitest";
import { call, expectProblem, testEnv } from "./worker";

/** Exactly the fields a user has in any response: nothing secret may ever join them. */
export const USER_KEYS = [
  "active",
  "created_at",
  "email",
  "email_verified",
  "first_name",
  "id",
  "last_name",
  "mfa_enabled",
  "role",
  "updated_at",
  "username",
];

export const ADMIN_KEY = "test-admin-key";
export const PASSWORD = "Violet-Lantern-Orbit-42";
/** A strong password no test user starts with, for changes and resets. */
export const NEW_PASSWORD = "Copper-Meadow-Kettle-77";

export function uniqueName(prefix = "user") {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

export type Registration = {
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  password: string;
};

/**
 * A valid `POST /auth/register` body for a new user with a random name. `overrides` replace
 * fields, add others (such as `secret_admin_key`) or, set to undefined, leave a field out.
 */
export function registration(
  overrides: Record<string, unknown> = {},
): Registration & Record<string, unknown> {
  const username = uniqueName();
  return {
    username,
    email: `${username}@example.test`,
    first_name: "Test",
    last_name: "User",
    password: PASSWORD,
    ...overrides,
  };
}

/** POST /auth/register with this body, under replaced bindings when `env` is given. */
export function register(body: unknown, env?: Record<string, unknown>) {
  return call("/auth/register", { body, env });
}

export type TestUser = {
  id: string;
  username: string;
  email: string;
  password: string;
  role: "ADMIN" | "USER";
  user: Record<string, unknown>;
};

export type Session = TestUser & { token: string; refreshToken: string };

/** Registers a user (an admin with `admin: true`) and returns what the API answered. */
export async function registerUser(
  options: { admin?: boolean } & Partial<Registration> = {},
): Promise<TestUser> {
  const { admin, ...fields } = options;
  const body = registration({ ...fields, ...(admin ? { secret_admin_key: ADMIN_KEY } : {}) });
  const res = await register(body);
  expect(res.status, res.text).toBe(201);
  return {
    id: res.json.user.id,
    username: body.username,
    email: body.email,
    password: body.password,
    role: res.json.user.role,
    user: res.json.user,
  };
}

export async function login(email: string, password: string) {
  const res = await call("/auth/login", { body: { email, password } });
  expect(res.status, res.text).toBe(200);
  return { token: res.json.access_token as string, refreshToken: res.json.refresh_token as string };
}

/** Asserts that these credentials do not log in, and returns the refusal. */
export async function expectLoginRefused(email: string, password: string) {
  const res = await call("/auth/login", { body: { email, password } });
  expectProblem(res, 401, "invalid_credentials");
  return res;
}

/** A registered and logged-in user. */
export async function signUp(options: Parameters<typeof registerUser>[0] = {}): Promise<Session> {
  const user = await registerUser(options);
  return { ...user, ...(await login(user.email, user.password)) };
}

/** Reads what the Worker sent to the mail provider stand-in for one address. */
export async function mailTo(address: string) {
  const res = await fetch(`${testEnv.MAIL_API_URL}/messages?to=${encodeURIComponent(address)}`);
  return (await res.json()) as {
    authorization?: string;
    message: { to: string[]; from: string; subject: string; text: string; html: string };
  }[];
}

/** The mails sent to the address that carry a link to the configured page `page`. */
export async function mailsWithLink(address: string, page: unknown) {
  return (await mailTo(address)).filter((mail) => mail.message.text.includes(`${page}?token=`));
}

/** The token of the newest link to the configured page `page` mailed to the address. */
async function linkTokenFor(address: string, page: unknown, what: string): Promise<string> {
  const text = (await mailsWithLink(address, page)).at(-1)?.message.text ?? "";
  const token = /[?&]token=([A-Za-z0-9_-]+)/.exec(text)?.[1];
  if (!token) throw new Error(`no ${what} link mailed to ${address}`);
  return token;
}

/** The password reset emails sent to the address. */
export const resetMailsTo = (address: string) => mailsWithLink(address, testEnv.PASSWORD_RESET_URL);

/** The reset token from the newest reset email sent to the address. */
export const resetTokenFor = (address: string) =>
  linkTokenFor(address, testEnv.PASSWORD_RESET_URL, "reset");

/** The verification emails sent to the address. */
export const verificationMailsTo = (address: string) =>
  mailsWithLink(address, testEnv.EMAIL_VERIFY_URL);

/** The token from the newest verification email sent to the address. */
export const verificationTokenFor = (address: string) =>
  linkTokenFor(address, testEnv.EMAIL_VERIFY_URL, "verification");

/**
 * Runs SQL on this test file's own database through the Worker's driver and endpoint, for what
 * the API rightly offers no way to do: ageing tokens past their windows, counting stored rows.
 */
export async function db<Row = Record<string, unknown>>(
  text: string,
  params: unknown[] = [],
): Promise<Row[]> {
  const { neon, neonConfig } = await import("@neondatabase/serverless");
  neonConfig.fetchEndpoint = testEnv.NEON_FETCH_ENDPOINT as string;
  return (await neon(testEnv.DATABASE_URL as string).query(text, params)) as Row[];
}

/** Moves the user's spent refresh tokens past the reuse grace window. */
export async function ageSpentTokens(userId: string) {
  await db(
    "update refresh_tokens set spent_at = now() - interval '1 minute' where user_id = $1 and spent_at is not null",
    [userId],
  );
}

export async function countRows(
  table: "refresh_tokens" | "password_reset_tokens" | "email_verification_tokens",
  userId: string,
) {
  const [row] = await db<{ n: number }>(
    `select count(*)::int as n from ${table} where user_id = $1`,
    [userId],
  );
  return Number(row?.n);
}

/** Activates or deactivates a user through the API, as a fresh admin. */
export async function setActive(userId: string, active: boolean) {
  const admin = await signUp({ admin: true });
  const res = await call(`/users/${userId}`, {
    method: "PATCH",
    body: { active },
    token: admin.token,
  });
  expect(res.status, res.text).toBe(200);
}
