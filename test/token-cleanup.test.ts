import { createScheduledController } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { type Bindings, loadConfig } from "../src/env";
import worker from "../src/index";
import { cleanUp } from "../src/services/housekeeping";
import {
  ageSpentTokens,
  countRows,
  db,
  resetTokenFor,
  signUp,
  verificationTokenFor,
} from "./helpers/factories";
import { forgot, reset } from "./helpers/password-reset";
import { expectDeadRefresh, expectLiveSession, logout, refresh } from "./helpers/sessions";
import { call, testEnv } from "./helpers/worker";

function runCleanup() {
  return worker.scheduled(createScheduledController(), testEnv as never);
}

describe("the token cleanup cron", () => {
  it("never deletes the revoked row that keeps a family dead", async () => {
    const revokedLongAgo = await signUp();
    const revokedRecently = await signUp();
    for (const user of [revokedLongAgo, revokedRecently]) {
      expect((await refresh(user.refreshToken)).status).toBe(200);
      // Only the first (spent) row is revoked, as when a refresh raced the logout: its
      // successor escaped the revocation and is dead only through it.
      await db(
        "update refresh_tokens set revoked_at = now() - $2::interval where user_id = $1 and spent_at is not null",
        [user.id, user === revokedLongAgo ? "2 days" : "1 minute"],
      );
    }
    await db(
      "update refresh_tokens set expires_at = now() - interval '1 minute' where user_id = $1 and spent_at is not null",
      [revokedRecently.id],
    );
    await runCleanup();
    expect(await countRows("refresh_tokens", revokedLongAgo.id)).toBe(0);
    expect(await countRows("refresh_tokens", revokedRecently.id)).toBe(2);
  });

  it("deletes expired and long-revoked tokens and keeps live ones", async () => {
    const expired = await signUp();
    const live = await signUp();
    const spent = await signUp();
    const revokedLongAgo = await signUp();
    const revokedRecently = await signUp();
    for (const user of [expired, live]) expect((await forgot(user.email)).status).toBe(202);
    for (const table of ["refresh_tokens", "password_reset_tokens", "email_verification_tokens"]) {
      await db(`update ${table} set expires_at = now() - interval '1 minute' where user_id = $1`, [
        expired.id,
      ]);
    }
    const rotated = await refresh(spent.refreshToken);
    expect(rotated.status).toBe(200);
    await ageSpentTokens(spent.id);
    await db(
      "update refresh_tokens set revoked_at = now() - interval '2 days' where user_id = $1",
      [revokedLongAgo.id],
    );
    expect((await logout(revokedRecently.token)).status).toBe(204);

    expect(await countRows("refresh_tokens", expired.id)).toBe(1);
    expect(await countRows("password_reset_tokens", expired.id)).toBe(1);
    expect(await countRows("email_verification_tokens", expired.id)).toBe(1);
    await runCleanup();

    expect(await countRows("refresh_tokens", expired.id)).toBe(0);
    expect(await countRows("password_reset_tokens", expired.id)).toBe(0);
    expect(await countRows("email_verification_tokens", expired.id)).toBe(0);
    expect(await countRows("refresh_tokens", revokedLongAgo.id)).toBe(0);
    expect(await countRows("refresh_tokens", live.id)).toBe(1);
    expect(await countRows("password_reset_tokens", live.id)).toBe(1);
    expect(await countRows("email_verification_tokens", live.id)).toBe(1);
    // A spent token is kept until it expires, so its replay is still recognised.
    expect(await countRows("refresh_tokens", spent.id)).toBe(2);
    expect(await countRows("refresh_tokens", revokedRecently.id)).toBe(1);

    await expectLiveSession(live);
    // The reset token mailed before the cleanup still works.
    const res = await reset(await resetTokenFor(live.email));
    expect(res.status, res.text).toBe(200);
    const verified = await call("/auth/verify-email", {
      body: { token: await verificationTokenFor(live.email) },
    });
    expect(verified.status, verified.text).toBe(200);
    await expectDeadRefresh(spent.refreshToken);
    await expectDeadRefresh(rotated.json.refresh_token);
  });

  it("deletes a revoked family whole, never part of one, however small its batch", async () => {
    await runCleanup();
    const user = await signUp();
    const rotated = await refresh(user.refreshToken);
    expect(rotated.status, rotated.text).toBe(200);
    // Only the spent row is revoked, two days ago: its successor escaped the revocation (a
    // refresh racing the logout) and is dead only through the family.
    await db(
      "update refresh_tokens set revoked_at = now() - interval '2 days' where user_id = $1 and spent_at is not null",
      [user.id],
    );
    await cleanUp(
      createDb(loadConfig(testEnv as Bindings)),
      { EVENTS_RETENTION_DAYS: 90 },
      { batch: 1, maxBatches: 1 },
    );
    expect(await countRows("refresh_tokens", user.id)).toBe(0);
    await expectDeadRefresh(rotated.json.refresh_token);
  });

  it("deletes in bounded batches, and leaves the rest for the next run", async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => signUp()));
    const ids = users.map((user) => user.id);
    await db(
      "update refresh_tokens set expires_at = now() - interval '1 minute' where user_id = any($1)",
      [ids],
    );
    const left = async () =>
      Number(
        (
          await db<{ n: number }>(
            "select count(*)::int as n from refresh_tokens where user_id = any($1)",
            [ids],
          )
        )[0]?.n,
      );
    const bounded = await cleanUp(
      createDb(loadConfig(testEnv as Bindings)),
      { EVENTS_RETENTION_DAYS: 90 },
      {
        batch: 2,
        maxBatches: 2,
      },
    );
    // Two statements of at most two rows each, then it stops although rows are left.
    expect(bounded.refreshTokens).toBe(4);
    expect(await left()).toBe(1);
    await runCleanup();
    expect(await left()).toBe(0);
  });
});
