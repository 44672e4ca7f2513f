// Immediate revocation, route by route: every operation the published document secures with a
// bearer token refuses a token whose session has ended, whether the route authenticates with a
// query of its own or inside its one statement (services/caller.ts). A route added without
// either fails here. (A body the API would refuse for its shape is a 422 first, before any
// query: a well-signed token passes the signature check, and nothing is read or written for it.
// So the updates here send a valid body.)
import { beforeAll, describe, expect, it } from "vitest";
import { db, type Session, signUp } from "./helpers/factories";
import { logout } from "./helpers/sessions";
import { call } from "./helpers/worker";

/** The user an import with a revoked token asks for: never created. */
const REVOKED_IMPORT = { username: "revoked_import", email: "revoked_import@example.test" };

type Operation = { method: string; path: string; hasBody: boolean };

let operations: Operation[] = [];

beforeAll(async () => {
  const document = (await call("/openapi.json")).json as {
    paths: Record<
      string,
      Record<string, { security?: Record<string, string[]>[]; requestBody?: unknown }>
    >;
  };
  operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([, op]) => op.security?.some((scheme) => "bearerAuth" in scheme))
      .map(([method, op]) => ({ method: method.toUpperCase(), path, hasBody: !!op.requestBody })),
  );
});

async function expectAllRefused(session: Session, otherId: string) {
  expect(operations.length).toBeGreaterThan(15);
  const answers: string[] = [];
  for (const { method, path, hasBody } of operations) {
    // Their own id, and someone else's: both must be refused alike.
    for (const id of [session.id, otherId]) {
      const url = path.replace("{id}", id).replace("{passkey_id}", crypto.randomUUID());
      const body =
        path === "/users/import"
          ? { users: [{ ...REVOKED_IMPORT, first_name: "Revoked", last_name: "Import" }] }
          : path.startsWith("/users/")
            ? { first_name: "Revoked" }
            : path === "/auth/passkeys/{id}"
              ? { name: "Revoked" }
              : {};
      const res = await call(url, {
        method,
        token: session.token,
        body: hasBody ? body : undefined,
      });
      answers.push(
        `${method} ${url.replace(id, id === session.id ? "{self}" : "{other}")} ${res.status}`,
      );
    }
  }
  expect(answers.filter((answer) => !answer.endsWith(" 401"))).toEqual([]);
  const [row] = await db<{ first_name: string }>("select first_name from users where id = $1", [
    otherId,
  ]);
  expect(row?.first_name).not.toBe("Revoked");
  const imported = await db("select id from users where username = $1", [REVOKED_IMPORT.username]);
  expect(imported).toEqual([]);
}

describe("a token whose session ended", () => {
  it("is refused by every bearer operation, for a user", async () => {
    const user = await signUp();
    const other = await signUp();
    expect((await logout(user.token)).status).toBe(204);
    await expectAllRefused(user, other.id);
  });

  it("is refused by every bearer operation, for an admin", async () => {
    const admin = await signUp({ admin: true });
    const other = await signUp();
    expect((await logout(admin.token, { scope: "global" })).status).toBe(204);
    await expectAllRefused(admin, other.id);
  });
});
