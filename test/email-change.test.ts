// Changing the email of an account is how a stolen access token would become a stolen account
// (change the email, then reset the password): a user's own change needs the current password,
// and every change ends pending reset tokens and tells the old address.
import { describe, expect, it } from "vitest";
import { mailTo, NEW_PASSWORD, signUp, uniqueName } from "./helpers/factories";
import { expectInvalidToken, mailedToken, reset } from "./helpers/password-reset";
import { updateUser } from "./helpers/users";
import { call, expectProblem } from "./helpers/worker";

const newEmail = () => `${uniqueName("moved")}@example.test`;

describe("PATCH /users/me with a new email", () => {
  it("refuses the change without current_password with 422 naming it", async () => {
    const user = await signUp();
    const res = await updateUser(user.token, "me", { email: newEmail() });
    const body = expectProblem(res, 422, "validation_failed");
    expect(body.errors).toContainEqual(expect.objectContaining({ path: "current_password" }));
    const mine = await call("/users/me", { token: user.token });
    expect(mine.json.email).toBe(user.email);
  });

  it("refuses a wrong current_password with 400 invalid_current_password and changes nothing", async () => {
    const user = await signUp();
    const res = await updateUser(user.token, "me", {
      email: newEmail(),
      current_password: "not-the-password-1",
    });
    expectProblem(res, 400, "invalid_current_password");
    const mine = await call("/users/me", { token: user.token });
    expect(mine.json.email).toBe(user.email);
  });

  it.each(["PATCH", "PUT"])(
    "accepts the change by %s /users/{id} with the right password",
    async (method) => {
      const user = await signUp();
      const email = newEmail();
      const res = await updateUser(
        user.token,
        user.id,
        { email, current_password: user.password },
        { method },
      );
      expect(res.status, res.text).toBe(200);
      expect(res.json.user.email).toBe(email);
    },
  );

  it("refuses current_password sent without an email with 422", async () => {
    const user = await signUp();
    const res = await updateUser(user.token, "me", {
      first_name: "Alicia",
      current_password: user.password,
    });
    const body = expectProblem(res, 422, "validation_failed");
    expect(body.errors).toContainEqual(expect.objectContaining({ path: "current_password" }));
  });

  it("sends the old address a notice without any link, and the new one only a verification link", async () => {
    const user = await signUp();
    const email = newEmail();
    const res = await updateUser(user.token, "me", { email, current_password: user.password });
    expect(res.status, res.text).toBe(200);
    // The newest mail: registration sent the first one, a verification link.
    const notice = (await mailTo(user.email)).at(-1);
    expect(notice?.message.subject).toMatch(/email address was changed/i);
    expect(notice?.message.text).not.toMatch(/https?:\/\//);
    expect(notice?.message.html).not.toMatch(/<a\b|https?:\/\//);
    const mails = await mailTo(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.message.subject).toMatch(/verify your email address/i);
  });

  it("ends a pending reset token, so a stolen session cannot reset its way in", async () => {
    const user = await signUp();
    const { token } = await mailedToken(user.email);
    const res = await updateUser(user.token, "me", {
      email: newEmail(),
      current_password: user.password,
    });
    expect(res.status, res.text).toBe(200);
    expectInvalidToken(await reset(token, NEW_PASSWORD));
  });
});

describe("PATCH /users/{id} by an admin with a new email", () => {
  it("needs no password for someone else, ends their reset token and tells their old address", async () => {
    const admin = await signUp({ admin: true });
    const user = await signUp();
    const { token } = await mailedToken(user.email);
    const res = await updateUser(admin.token, user.id, { email: newEmail() });
    expect(res.status, res.text).toBe(200);
    expectInvalidToken(await reset(token, NEW_PASSWORD));
    const messages = await mailTo(user.email);
    expect(messages.at(-1)?.message.subject).toMatch(/email address was changed/i);
  });

  it("needs the admin's own password for the admin's own email", async () => {
    const admin = await signUp({ admin: true });
    const res = await updateUser(admin.token, admin.id, { email: newEmail() });
    expectProblem(res, 422, "validation_failed");
  });
});
