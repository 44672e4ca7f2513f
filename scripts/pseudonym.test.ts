import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { pseudonym } from "../src/lib/pseudonym.ts";

const SECRET = "test-secret-of-at-least-32-characters-x";
const USER_ID = "5b1c0a3e-8a4f-4c1e-9a57-3f2d1e6b7c90";

/** `npm run pseudonym -- ...args` with `env` added to (or removed from) the environment. */
function run(args: string[], env: Record<string, string | undefined>) {
  return spawnSync(
    process.execPath,
    ["--import", "tsx", resolve(import.meta.dirname, "pseudonym.ts"), ...args],
    { env: { ...process.env, ...env }, encoding: "utf8" },
  );
}

/** The printed lines as [value, kind, pseudonym] rows. */
const rows = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => line.split("\t"));

describe("npm run pseudonym: the keyed hash an operator looks an account up by", () => {
  it("prints the same value the Worker writes in its log lines and metrics, an email's whatever its case", async () => {
    const result = run(["Alice@Example.com", "alice@example.com", USER_ID], { JWT_SECRET: SECRET });
    expect(result.status, result.stderr).toBe(0);
    const email = await pseudonym(SECRET, "email", "alice@example.com");
    const user = await pseudonym(SECRET, "user", USER_ID);
    expect(rows(result.stdout)).toEqual([
      ["Alice@Example.com", "email", email],
      ["alice@example.com", "email", email],
      [USER_ID, "user", user],
    ]);
    // Pinned: a pseudonym must not change between releases, or last month's queries find no one.
    expect([email, user]).toEqual(["6Y_zLYXVcqgwD47F", "H_N-fgXzPi8ASFNb"]);
    expect(result.stdout).not.toContain(SECRET);
  });

  it("depends on the secret: another deployment's value is another", () => {
    const result = run([USER_ID], { JWT_SECRET: `${SECRET}-other` });
    expect(result.status, result.stderr).toBe(0);
    const [[, , hashed] = []] = rows(result.stdout);
    expect(hashed).toMatch(/^[\w-]{16}$/);
    expect(hashed).not.toBe("H_N-fgXzPi8ASFNb");
  });

  it("takes the secret from the environment only, and says how to call it otherwise", () => {
    for (const result of [
      run([USER_ID], { JWT_SECRET: undefined }),
      run([], { JWT_SECRET: SECRET }),
    ]) {
      expect(result.status).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain("usage: JWT_SECRET=... npm run pseudonym");
    }
  });
});
