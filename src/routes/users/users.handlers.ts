import type { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { inBackground } from "../../lib/background";
import { clientInfo } from "../../lib/client";
import { NO_STORE } from "../../lib/error-handler";
import { acceptedRevisions, etagOf } from "../../lib/etag";
import { emailChangedMessage, sendMail } from "../../lib/mail";
import type { AppRouteHandler } from "../../lib/openapi";
import { fieldErrorsOf } from "../../lib/problems";
import type { TokenEnv } from "../../middleware/auth";
import { pageHeaderValues, pageRequest } from "../../schemas/pagination";
import { toPublicUser } from "../../schemas/user";
import { type ImportItem, importUsers as runImport } from "../../services/user-import";
import {
  readUserAs,
  removeUser,
  searchUsers,
  updateUserAs,
  userListBinding,
} from "../../services/users";
import { mailVerificationLink } from "../verification-mail";
import type * as routes from "./users.routes";
import { ImportUserSchema, type UserUpdateSchema } from "./users.schemas";

export const listUsers: AppRouteHandler<typeof routes.listUsers, TokenEnv> = async (c) => {
  const query = c.req.valid("query");
  const filter = {
    q: query.q,
    role: query.role,
    active: query.active,
    externalId: query.external_id,
    sort: query.sort,
  };
  const binding = userListBinding(filter);
  const secret = c.get("config").JWT_SECRET;
  const request = await pageRequest(secret, binding, query);
  const page = await searchUsers(c.get("db"), c.get("claims"), filter, request);
  return c.json(page.rows.map(toPublicUser), 200, {
    ...NO_STORE,
    ...(await pageHeaderValues(c.req.url, secret, binding, page)),
  });
};

/** One user as JSON with its ETag: the caller's own, or anyone's for an admin. */
async function read(c: Context<TokenEnv>, id: string) {
  const user = await readUserAs(c.get("db"), c.get("claims"), id);
  return c.json(toPublicUser(user), 200, { ...NO_STORE, ETag: etagOf(user) });
}

export const getMe: AppRouteHandler<typeof routes.getMe, TokenEnv> = (c) =>
  read(c, c.get("claims").sub);

export const getUser: AppRouteHandler<typeof routes.getUser, TokenEnv> = (c) =>
  read(c, c.req.valid("param").id);

/** The one update of every route that changes a user (PATCH or PUT, by id or /me). */
async function update(
  c: Context<TokenEnv>,
  id: string,
  body: z.output<typeof UserUpdateSchema>,
  ifMatch: string | undefined,
) {
  const { user, previousEmail } = await updateUserAs(
    c.get("db"),
    c.get("claims"),
    id,
    {
      username: body.username,
      email: body.email,
      firstName: body.first_name,
      lastName: body.last_name,
      role: body.role,
      active: body.active,
    },
    {
      acceptedRevisions: acceptedRevisions(ifMatch),
      currentPassword: body.current_password,
      client: clientInfo(c),
    },
  );
  if (previousEmail !== undefined) {
    const notice = emailChangedMessage(c.get("config"), {
      email: previousEmail,
      firstName: user.firstName,
    });
    inBackground(c, "email_changed_notice_failed", () =>
      sendMail(c.get("config"), notice, { requestId: c.get("requestId") }),
    );
    // The new address is unverified until the link sent to it (and only to it) is used.
    mailVerificationLink(c, user.id);
  }
  return c.json({ message: "User updated successfully" as const, user: toPublicUser(user) }, 200, {
    ...NO_STORE,
    ETag: etagOf(user),
  });
}

export const updateMe: AppRouteHandler<typeof routes.updateMe, TokenEnv> = (c) =>
  update(c, c.get("claims").sub, c.req.valid("json"), c.req.valid("header")["if-match"]);

export const patchUser: AppRouteHandler<typeof routes.patchUser, TokenEnv> = (c) =>
  update(c, c.req.valid("param").id, c.req.valid("json"), c.req.valid("header")["if-match"]);

export const putUser: AppRouteHandler<typeof routes.putUser, TokenEnv> = (c) =>
  update(c, c.req.valid("param").id, c.req.valid("json"), c.req.valid("header")["if-match"]);

export const deleteUser: AppRouteHandler<typeof routes.deleteUser, TokenEnv> = async (c) => {
  await removeUser(c.get("db"), c.get("claims"), c.req.valid("param").id, {
    ...clientInfo(c),
    actorId: c.get("claims").sub,
  });
  return c.json({ message: "User deleted successfully" }, 200);
};

/** An item of an import under the field rules: the user it names, or its field errors. */
function importItem(raw: unknown): ImportItem {
  const parsed = ImportUserSchema.safeParse(raw);
  if (!parsed.success) return { errors: fieldErrorsOf(parsed.error) };
  const { first_name, last_name, email_verified, created_at, external_id, password_hash, ...rest } =
    parsed.data;
  return {
    user: {
      ...rest,
      firstName: first_name,
      lastName: last_name,
      emailVerified: email_verified,
      createdAt: created_at === undefined ? undefined : new Date(created_at),
      externalId: external_id,
      passwordHash: password_hash,
    },
  };
}

export const importUsers: AppRouteHandler<typeof routes.importUsers, TokenEnv> = async (c) => {
  const body = c.req.valid("json");
  const results = await runImport(
    c.get("db"),
    c.get("claims"),
    body.users.map(importItem),
    { mode: body.mode, dryRun: body.dry_run },
    { ...clientInfo(c), actorId: c.get("claims").sub },
  );
  const counted = (...statuses: string[]) =>
    results.filter((result) => statuses.includes(result.status)).length;
  return c.json(
    {
      created: counted("created"),
      updated: counted("updated"),
      skipped: counted("unchanged"),
      failed: counted("invalid", "conflict"),
      dry_run: body.dry_run,
      results,
    },
    200,
    NO_STORE,
  );
};
