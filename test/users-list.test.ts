import { describe, expect, it } from "vitest";
import { registerUser, signUp, uniqueName } from "./helpers/factories";
import { expectUserShape, getUser, ids, listUsers, updateUser } from "./helpers/users";
import { type CallResult, call, expectProblem } from "./helpers/worker";

/** The RFC 8288 Link header as rel -> target URL. */
function linksOf(res: CallResult): Record<string, URL> {
  const header = res.headers.get("link") ?? "";
  const links: Record<string, URL> = {};
  for (const [, target, rel] of header.matchAll(/<([^>]*)>\s*;\s*rel="([^"]+)"/g)) {
    links[rel as string] = new URL(target as string, "http://localhost");
  }
  return links;
}

/** Follows a link as a client would. */
function follow(token: string, link: URL | undefined) {
  return call(`${link?.pathname}${link?.search}`, { token });
}

describe("GET /users", () => {
  it("returns User objects with exactly the documented keys and no secrets", async () => {
    const admin = await signUp({ admin: true });
    const prefix = uniqueName("keys");
    await registerUser({ username: `${prefix}a` });
    await registerUser({ username: `${prefix}b` });
    const res = await listUsers(admin.token, `q=${prefix}`);
    expect(res.status, res.text).toBe(200);
    expect(Array.isArray(res.json)).toBe(true);
    expect(res.json).toHaveLength(2);
    for (const user of res.json) expectUserShape(user);
    expect(res.text).not.toMatch(/password|hash|token_version|revision/i);
    expect(res.headers.get("cache-control")).toContain("no-store");
    expect(res.headers.get("x-total-count")).toBe("2");
  });

  it("pages with X-Total-Count and first/prev/next/last links", async () => {
    const admin = await signUp({ admin: true });
    const prefix = uniqueName("page");
    const created: string[] = [];
    for (const letter of ["a", "b", "c", "d", "e"]) {
      created.push((await registerUser({ username: `${prefix}${letter}` })).id);
    }

    const page = (n: number) => listUsers(admin.token, `q=${prefix}&per_page=2&page=${n}`);
    const target = (url: URL | undefined) => ({
      path: url?.pathname,
      page: url?.searchParams.get("page"),
      per_page: url?.searchParams.get("per_page"),
      q: url?.searchParams.get("q"),
    });
    const at = (n: number) => ({ path: "/users", page: String(n), per_page: "2", q: prefix });

    const first = await page(1);
    expect(first.status, first.text).toBe(200);
    expect(first.headers.get("x-total-count")).toBe("5");
    expect(ids(first)).toEqual(created.slice(0, 2));
    const firstLinks = linksOf(first);
    expect(Object.keys(firstLinks).sort()).toEqual(["first", "last", "next"]);
    expect(target(firstLinks.first)).toEqual(at(1));
    expect(target(firstLinks.next)).toEqual(at(2));
    expect(target(firstLinks.last)).toEqual(at(3));

    const middle = await page(2);
    expect(middle.headers.get("x-total-count")).toBe("5");
    expect(ids(middle)).toEqual(created.slice(2, 4));
    const middleLinks = linksOf(middle);
    expect(Object.keys(middleLinks).sort()).toEqual(["first", "last", "next", "prev"]);
    expect(target(middleLinks.first)).toEqual(at(1));
    expect(target(middleLinks.prev)).toEqual(at(1));
    expect(target(middleLinks.next)).toEqual(at(3));
    expect(target(middleLinks.last)).toEqual(at(3));

    const last = await page(3);
    expect(last.headers.get("x-total-count")).toBe("5");
    expect(ids(last)).toEqual(created.slice(4));
    const lastLinks = linksOf(last);
    expect(Object.keys(lastLinks).sort()).toEqual(["first", "last", "prev"]);
    expect(target(lastLinks.prev)).toEqual(at(2));
    expect(target(lastLinks.last)).toEqual(at(3));

    // A client follows the links as given.
    const followed = await follow(admin.token, firstLinks.next);
    expect(ids(followed)).toEqual(created.slice(2, 4));
  });

  it("keeps a q with spaces, +, & and % intact in its links", async () => {
    const admin = await signUp({ admin: true });
    const tag = uniqueName("amp").replace("_", "");
    const q = `R&D +100% ${tag}`;
    for (const letter of ["a", "b", "c"]) {
      await registerUser({ username: uniqueName(letter), last_name: `${q} ${letter}` });
    }
    const first = await listUsers(admin.token, `q=${encodeURIComponent(q)}&per_page=2`);
    expect(first.status, first.text).toBe(200);
    expect(first.headers.get("x-total-count")).toBe("3");
    const next = linksOf(first).next as URL;
    expect(next.searchParams.get("q")).toBe(q);
    const second = await follow(admin.token, next);
    expect(second.status, second.text).toBe(200);
    expect(second.headers.get("x-total-count")).toBe("3");
    expect(second.json).toHaveLength(1);
    expect([...ids(first), ...ids(second)]).toHaveLength(
      new Set([...ids(first), ...ids(second)]).size,
    );
  });

  it("past the last page is an empty page with the right total and links", async () => {
    const admin = await signUp({ admin: true });
    const prefix = uniqueName("past");
    for (const letter of ["a", "b", "c"]) await registerUser({ username: `${prefix}${letter}` });
    const res = await listUsers(admin.token, `q=${prefix}&per_page=2&page=7`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual([]);
    expect(res.headers.get("x-total-count")).toBe("3");
    const links = linksOf(res);
    expect(links.next).toBeUndefined();
    expect(links.last?.searchParams.get("page")).toBe("2");
    expect(links.prev?.searchParams.get("page")).toBe("2");
  });

  it("pages 20 users by default and accepts per_page=100", async () => {
    const admin = await signUp({ admin: true });
    const prefix = uniqueName("dflt");
    const letters = "abcdefghijklmnopqrstu".split("");
    await Promise.all(letters.map((l) => registerUser({ username: `${prefix}${l}` })));
    const byDefault = await listUsers(admin.token, `q=${prefix}`);
    expect(byDefault.json).toHaveLength(20);
    expect(byDefault.headers.get("x-total-count")).toBe("21");
    expect(linksOf(byDefault).next?.searchParams.get("per_page")).toBe("20");
    const wide = await listUsers(admin.token, `q=${prefix}&per_page=100`);
    expect(wide.status, wide.text).toBe(200);
    expect(wide.json).toHaveLength(21);
  });

  it.each([
    ["per_page", "101"],
    ["per_page", "0"],
    ["per_page", "abc"],
    ["per_page", "-5"],
    ["per_page", "2.5"],
    ["page", "0"],
    ["page", "abc"],
    ["page", "-1"],
    ["sort", "password"],
    ["sort", "+username"],
    ["role", "SUPERUSER"],
    ["active", "yes"],
    ["active", "1"],
  ])("refuses %s=%s with 422 naming the parameter", async (name, value) => {
    const admin = await signUp({ admin: true });
    const body = expectProblem(
      await listUsers(admin.token, `${name}=${encodeURIComponent(value)}`),
      422,
      "validation_failed",
    );
    expect(body.errors?.map((e) => e.path)).toContain(`query.${name}`);
  });

  it("q matches username, email, first and last name case-insensitively", async () => {
    const admin = await signUp({ admin: true });
    const needle = uniqueName("needle").replace("_", "");
    const byUsername = (await registerUser({ username: `${needle}u` })).id;
    const byEmail = (
      await registerUser({
        username: uniqueName("e"),
        email: `Mail.${needle.toUpperCase()}@example.test`,
      })
    ).id;
    const byFirst = (await registerUser({ username: uniqueName("f"), first_name: `X${needle}` }))
      .id;
    const byLast = (
      await registerUser({
        username: uniqueName("l"),
        last_name: `Y${needle.toUpperCase()}Z`,
      })
    ).id;
    await registerUser({ username: uniqueName("none") });
    const mixedCase = needle.slice(0, 4).toUpperCase() + needle.slice(4);
    const res = await listUsers(admin.token, `q=${mixedCase}&per_page=100`);
    expect(res.status, res.text).toBe(200);
    expect(ids(res).sort()).toEqual([byUsername, byEmail, byFirst, byLast].sort());
    expect(res.headers.get("x-total-count")).toBe("4");
  });

  it("q treats % and _ literally", async () => {
    const admin = await signUp({ admin: true });
    const tag = uniqueName("lit").replace("_", "");
    const underscore = (await registerUser({ username: `${tag}x_y` })).id;
    await registerUser({ username: `${tag}xzy` });
    const percent = (await registerUser({ username: uniqueName("p"), first_name: `100%${tag}` }))
      .id;
    await registerUser({ username: uniqueName("p"), first_name: `100 percent ${tag}` });
    const backslash = (await registerUser({ username: uniqueName("b"), last_name: `a\\b${tag}` }))
      .id;
    await registerUser({ username: uniqueName("b"), last_name: `ab${tag}` });

    const q = (value: string) => listUsers(admin.token, `q=${encodeURIComponent(value)}`);
    expect(ids(await q(`${tag}x_y`))).toEqual([underscore]);
    expect(ids(await q(`100%${tag}`))).toEqual([percent]);
    expect(ids(await q(`a\\b${tag}`))).toEqual([backslash]);
    expect(await q(`${tag}%`)).toMatchObject({ status: 200, json: [] });
    expect(await q(`${tag.slice(0, -1)}_`)).toMatchObject({ status: 200, json: [] });
  });

  it("filters by role and by active", async () => {
    const admin = await signUp({ admin: true });
    const prefix = uniqueName("filt");
    const adminId = (await registerUser({ admin: true, username: `${prefix}adm` })).id;
    const activeUser = (await registerUser({ username: `${prefix}act` })).id;
    const inactiveUser = (await registerUser({ username: `${prefix}ina` })).id;
    const off = await updateUser(admin.token, inactiveUser, { active: false });
    expect(off.status, off.text).toBe(200);

    const sorted = async (query: string) => {
      const res = await listUsers(admin.token, `q=${prefix}&${query}`);
      expect(res.status, res.text).toBe(200);
      return ids(res).sort();
    };
    expect(await sorted("role=ADMIN")).toEqual([adminId]);
    expect(await sorted("role=USER")).toEqual([activeUser, inactiveUser].sort());
    expect(await sorted("active=false")).toEqual([inactiveUser]);
    expect(await sorted("active=true")).toEqual([adminId, activeUser].sort());
    expect(await sorted("role=USER&active=true")).toEqual([activeUser]);
  });

  it("orders by every sort value in both directions", async () => {
    const admin = await signUp({ admin: true });
    const prefix = uniqueName("sort").replace("_", "");
    // Creation, username and email orders are three different permutations.
    const one = (await registerUser({ username: `${prefix}b`, email: `${prefix}c@example.test` }))
      .id;
    const two = (await registerUser({ username: `${prefix}c`, email: `${prefix}a@example.test` }))
      .id;
    const three = (await registerUser({ username: `${prefix}a`, email: `${prefix}b@example.test` }))
      .id;
    const expected: Record<string, string[]> = {
      created_at: [one, two, three],
      username: [three, one, two],
      email: [two, three, one],
    };
    for (const [key, order] of Object.entries(expected)) {
      const asc = await listUsers(admin.token, `q=${prefix}&sort=${key}`);
      expect(asc.status, asc.text).toBe(200);
      expect(ids(asc), `sort=${key}`).toEqual(order);
      const desc = await listUsers(admin.token, `q=${prefix}&sort=-${key}`);
      expect(ids(desc), `sort=-${key}`).toEqual([...order].reverse());
    }
    const byDefault = await listUsers(admin.token, `q=${prefix}`);
    expect(ids(byDefault)).toEqual(expected.created_at);
  });

  it.each([
    ["a NUL byte", "%00", 422],
    ["a NUL byte inside a word", "ab%00cd", 422],
    ["5000 characters", "x".repeat(5000), 422],
    ["a quote and a statement", encodeURIComponent("'; drop table users; --"), 200],
    ["a closing paren", encodeURIComponent("') or 1=1 --"), 200],
    ["a backslash at the end", encodeURIComponent("abc\\"), 200],
    ["regex and LIKE characters", encodeURIComponent("[a-z]*.^$%_\\"), 200],
    ["unicode", encodeURIComponent("名前😀"), 200],
  ])("answers q with %s without a 500", async (_label, q, status) => {
    const admin = await signUp({ admin: true });
    const res = await listUsers(admin.token, `q=${q}`);
    if (status === 422) {
      expect(expectProblem(res, 422, "validation_failed").errors?.[0]?.path).toBe("query.q");
    } else {
      expect(res.status, res.text).toBe(200);
      expect(res.json).toEqual([]);
      expect(res.headers.get("x-total-count")).toBe("0");
    }
    const still = await getUser(admin.token, admin.id);
    expect(still.status).toBe(200);
  });
});
