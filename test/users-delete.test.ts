import { describe, expect, it } from "vitest";
import { expectLoginRefused, registerUser, signUp } from "./helpers/factories";
import { expectDeadAccess, expectDeadRefresh } from "./helpers/sessions";
import { deleteUser, getUser } from "./helpers/users";
import { expectProblem } from "./helpers/worker";

describe("DELETE /users/{id}", () => {
  it("lets an admin delete a user, whose tokens then fail", async () => {
    const admin = await signUp({ admin: true });
    const target = await signUp();
    const res = await deleteUser(admin.token, target.id);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ message: "User deleted successfully" });
    expectProblem(await getUser(admin.token, target.id), 404, "not_found");
    expectProblem(await deleteUser(admin.token, target.id), 404, "not_found");
    await expectDeadAccess(target.token);
    await expectDeadRefresh(target.refreshToken);
    await expectLoginRefused(target.email, target.password);
  });

  it("answers an admin with 404 for an id nobody has", async () => {
    const admin = await signUp({ admin: true });
    expectProblem(await deleteUser(admin.token, crypto.randomUUID()), 404, "not_found");
  });

  it("frees the username and email for a new registration", async () => {
    const admin = await signUp({ admin: true });
    const target = await registerUser();
    await deleteUser(admin.token, target.id);
    const again = await registerUser({ username: target.username, email: target.email });
    expect(again.id).not.toBe(target.id);
  });
});
