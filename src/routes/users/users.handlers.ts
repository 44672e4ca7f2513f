import type { RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import { acceptedRevisions, etagOf } from "../../lib/etag";
import { ApiError, NO_STORE } from "../../lib/problem";
import type { AuthEnv } from "../../middleware/auth";
import { deleteUser, findUserById, listUsers, updateUser } from "../../services/users";
import type {
  deleteUser as deleteUserRoute,
  getMe,
  getUser,
  listUsers as listUsersRoute,
  patchUser,
  putUser,
  updateMe,
} from "./users.routes";
import { type PublicUser, toPublicUser } from "./users.schemas";

function pageLinks(c: Context, page: number, perPage: number, total: number): string {
  const last = Math.max(1, Math.ceil(total / perPage));
  const link = (target: number, rel: string) => {
    const url = new URL(c.req.url);
    url.searchParams.set("page", String(target));
    url.searchParams.set("per_page", String(perPage));
    return `<${url.pathname}${url.search}>; rel="${rel}"`;
  };
  return [
    link(1, "first"),
    ...(page > 1 ? [link(Math.min(page - 1, last), "prev")] : []),
    ...(page < last ? [link(page + 1, "next")] : []),
    link(last, "last"),
  ].join(", ");
}

export const listUsersHandler: RouteHandler<typeof listUsersRoute, AuthEnv> = async (c) => {
  const query = c.req.valid("query");
  const { users, total } = await listUsers(c.var.db, {
    page: query.page,
    perPage: query.per_page,
    q: query.q,
    role: query.role,
    active: query.active,
    sort: query.sort,
  });
  return c.json(users.map(toPublicUser), 200, {
    ...NO_STORE,
    "X-Total-Count": String(total),
    Link: pageLinks(c, query.page, query.per_page, total),
  });
};

export const getMeHandler: RouteHandler<typeof getMe, AuthEnv> = (c) =>
  c.json(toPublicUser(c.var.user), 200, { ...NO_STORE, ETag: etagOf(c.var.user) });

export const getUserHandler: RouteHandler<typeof getUser, AuthEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const caller = c.var.user;
  if (caller.id === id)
    return c.json(toPublicUser(caller), 200, { ...NO_STORE, ETag: etagOf(caller) });
  if (caller.role !== "ADMIN") {
    throw new ApiError(403, "forbidden", "You may only read your own user.");
  }
  const user = await findUserById(c.var.db, id);
  if (!user) throw new ApiError(404, "not_found", "No user has that id.");
  return c.json(toPublicUser(user), 200, { ...NO_STORE, ETag: etagOf(user) });
};

type UpdateBody = {
  username?: string;
  email?: string;
  first_name?: string;
  last_name?: string;
  role?: "ADMIN" | "USER";
  active?: boolean;
};

async function applyUpdate(
  c: Context<AuthEnv>,
  id: string,
  body: UpdateBody,
  ifMatch: string | undefined,
): Promise<{ user: PublicUser; etag: string }> {
  const caller = c.var.user;
  if (caller.role !== "ADMIN") {
    if (caller.id !== id)
      throw new ApiError(403, "forbidden", "You may only update your own user.");
    if (body.role !== undefined || body.active !== undefined) {
      throw new ApiError(403, "forbidden", "Only an admin may change role or active.", {
        errors: [
          ...(body.role !== undefined ? [{ path: "role", message: "admins only" }] : []),
          ...(body.active !== undefined ? [{ path: "active", message: "admins only" }] : []),
        ],
      });
    }
  }
  const revisions = acceptedRevisions(ifMatch);
  const row = await updateUser(
    c.var.db,
    id,
    {
      username: body.username,
      email: body.email,
      firstName: body.first_name,
      lastName: body.last_name,
      role: body.role,
      active: body.active,
    },
    revisions,
  );
  return { user: toPublicUser(row), etag: etagOf(row) };
}

const updated = "User updated successfully" as const;

export const updateMeHandler: RouteHandler<typeof updateMe, AuthEnv> = async (c) => {
  const { user, etag } = await applyUpdate(
    c,
    c.var.user.id,
    c.req.valid("json"),
    c.req.valid("header")["if-match"],
  );
  return c.json({ message: updated, user }, 200, { ...NO_STORE, ETag: etag });
};

const updateUserHandler: RouteHandler<typeof patchUser, AuthEnv> = async (c) => {
  const { user, etag } = await applyUpdate(
    c,
    c.req.valid("param").id,
    c.req.valid("json"),
    c.req.valid("header")["if-match"],
  );
  return c.json({ message: updated, user }, 200, { ...NO_STORE, ETag: etag });
};

export const patchUserHandler = updateUserHandler;
export const putUserHandler = updateUserHandler as unknown as RouteHandler<typeof putUser, AuthEnv>;

export const deleteUserHandler: RouteHandler<typeof deleteUserRoute, AuthEnv> = async (c) => {
  await deleteUser(c.var.db, c.req.valid("param").id);
  return c.json({ message: "User deleted successfully" }, 200);
};
