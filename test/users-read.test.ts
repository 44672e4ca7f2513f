import { describe, expect, it } from "vitest";
import { signUp } from "./helpers/factories";
import { me } from "./helpers/sessions";

describe("GET /users/me", () => {
  it("returns the caller with an ETag and no-store", async () => {
    const user = await signUp();
    const res = await me(user.token);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual(user.user);
    expect(res.headers.get("etag")).toMatch(/^"\d+"$/);
    expect(res.headers.get("cache-control")).toContain("no-store");
  });
});
