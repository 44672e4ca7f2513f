// Fills the benchmark's scratch database through the public API, like any client: an admin and
// SEED_USERS users with a few first names, so that a search matches more than one page.
import { randomBytes } from "node:crypto";

export const SEED_USERS = 200;
const SEED_PARALLELISM = 4;
const FIRST_NAMES = ["Olivia", "Liam", "Emma", "Noah", "Amelia", "Elijah", "Sophia", "Lucas"];
const LAST_NAMES = ["Smith", "Garcia", "Müller", "Rossi", "Dubois", "Tanaka", "Kowalski"];
// Matches one first name in eight: 25 of the 200 seeded users, more than the default page of 20.
export const SEARCH = "sophia";

async function call(
  base: string,
  method: "GET" | "POST",
  path: string,
  expectedStatus: number,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== expectedStatus) {
    throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return JSON.parse(text);
}

export async function seed(base: string, secretAdminKey: string) {
  // One strong password for everyone: the API refuses common ones.
  const password = `Bench-${randomBytes(12).toString("base64url")}`;
  const person = (i: number) => ({
    username: `user${String(i).padStart(4, "0")}`,
    email: `user${String(i).padStart(4, "0")}@example.com`,
    first_name: FIRST_NAMES[i % FIRST_NAMES.length] ?? "Ada",
    last_name: LAST_NAMES[i % LAST_NAMES.length] ?? "Lovelace",
    password,
  });
  await call(base, "POST", "/auth/register", 201, {
    ...person(0),
    username: "bench-admin",
    email: "admin@example.com",
    secret_admin_key: secretAdminKey,
  });
  const ids: string[] = [];
  let next = 1;
  // A few at a time: bcrypt keeps workerd's one JS thread busy, more would only queue.
  await Promise.all(
    Array.from({ length: SEED_PARALLELISM }, async () => {
      while (next <= SEED_USERS) {
        const i = next++;
        const answer = (await call(base, "POST", "/auth/register", 201, person(i))) as {
          user: { id: string };
        };
        ids[i] = answer.user.id;
      }
    }),
  );
  const adminLogin = (await call(base, "POST", "/auth/login", 200, {
    email: "admin@example.com",
    password,
  })) as { access_token: string };
  const otherUserId = ids[Math.floor(SEED_USERS / 2)];
  if (!otherUserId) throw new Error("seeding registered no users");
  return {
    adminToken: adminLogin.access_token,
    otherUserId,
    login: { email: person(1).email, password },
  };
}
