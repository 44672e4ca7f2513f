// The /users resource as its clients call it.
import { expect } from "vitest";
import { USER_KEYS } from "./factories";
import { type CallResult, call } from "./worker";

/** GET /users/{id}, where `target` is a user id or "me". */
export function getUser(token: string, target: string) {
  return call(`/users/${target}`, { token });
}

/** PATCH (or PUT) /users/{id}, where `target` is a user id or "me"; If-Match when given. */
export function updateUser(
  token: string,
  target: string,
  body: unknown,
  { method = "PATCH", ifMatch }: { method?: string; ifMatch?: string } = {},
) {
  const headers = ifMatch === undefined ? undefined : { "If-Match": ifMatch };
  return call(`/users/${target}`, { method, body, headers, token });
}

export function deleteUser(token: string, id: string) {
  return call(`/users/${id}`, { method: "DELETE", token });
}

/** The ETag GET /users/{id} answers now. */
export async function etagOf(token: string, target: string) {
  return (await getUser(token, target)).headers.get("etag") as string;
}

export function listUsers(token: string, query: string) {
  return call(`/users?${query}`, { token });
}

export function ids(res: CallResult): string[] {
  return (res.json as { id: string }[]).map((user) => user.id);
}

export function expectUserShape(user: Record<string, unknown>) {
  expect(Object.keys(user).sort()).toEqual(USER_KEYS);
}
