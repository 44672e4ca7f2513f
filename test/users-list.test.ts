import { describe, expect, it } from "vitest";
import { db, registerUser, signUp, uniqueName } from "./helpers/factories";
import { follow, linksOf, walk } from "./helpers/pages";
import { deleteUser, expectUserShape, getUser, ids, listUsers, updateUser } from "./helpers/users";
import { call, expectProblem } from "./helpers/worker";

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

  it("pages by cursor: next, prev, first and last links, and X-Total-Count", async () => {
    const admin = await signUp({ admin: true });
    const prefix = uniqueName("page");
    const created: string[] = [];
    for (const letter of ["a", "b", "c", "d", "e"]) {
      created.push((await registerUser({ username: `${prefix}${letter}` })).id);
    }

    const first = await listUsers(admin.token, `q=${prefix}&per_page=2`);
    expect(first.status, first.text).toBe(200);
    expect(first.headers.get("x-total-count")).toBe("5");
    expect(first.headers.get("x-total-count-estimate")).toBeNull();
    expect(ids(first)).toEqual(created.slice(0, 2));
    const firstLinks = linksOf(first);
    expect(Object.keys(firstLinks).sort()).toEqual(["first", "last", "next"]);
    // Every link keeps the request's parameters; first has no cursor, the others an opaque one.
    for (const link of Object.values(firstLinks)) {
      expect(link.pathname).toBe("/users");
      expect(link.searchParams.get("q")).toBe(prefix);
      expect(link.searchParams.get("per_page")).toBe("2");
      expect(link.searchParams.get("page")).toBeNull();
    }
    expect(firstLinks.first?.searchParams.get("cursor")).toBeNull();
    expect(firstLinks.next?.searchParams.get("cursor")).toMatch(/^[\w-]+\.[\w-]{43}$/);

    const middle = await follow(admin.token, firstLinks.next);
    expect(middle.status, middle.text).toBe(200);
    expect(middle.headers.get("x-total-count")).toBe("5");
    expect(ids(middle)).toEqual(created.slice(2, 4));
    const middleLinks = linksOf(middle);
    expect(Object.keys(middleLinks).sort()).toEqual(["first", "last", "next", "prev"]);

    const last = await follow(admin.token, middleLinks.next);
    expect(ids(last)).toEqual(created.slice(4));
    expect(Object.keys(linksOf(last)).sort()).toEqual(["first", "last", "prev"]);

    // Back again, page by page, to the first page, which has no prev.
    const back = await follow(admin.token, linksOf(last).prev);
    expect(ids(back)).toEqual(created.slice(2, 4));
    const start = await follow(admin.token, linksOf(back).prev);
    expect(ids(start)).toEqual(created.slice(0, 2));
    expect(Object.keys(linksOf(start)).sort()).toEqual(["first", "last", "next"]);

    // last: the final per_page rows; first: the first page again.
    const end = await follow(admin.token, firstLinks.last);
    expect(ids(end)).toEqual(created.slice(3));
    expect(Object.keys(linksOf(end)).sort()).toEqual(["first", "last", "prev"]);
    expect(ids(await follow(admin.token, linksOf(end).prev))).toEqual(created.slice(1, 3));
    expect(ids(await follow(admin.token, firstLinks.first))).toEqual(created.slice(0, 2));
  });

  it("keeps page numbers up to 10,000 rows deep, with cursor links", async () => {
    const admin = await signUp({ admin: true });
    const prefix = uniqueName("pnum");
    const created: string[] = [];
    for (const letter of ["a", "b", "c", "d", "e"]) {
      created.push((await registerUser({ username: `${prefix}${letter}` })).id);
    }
    const second = await listUsers(admin.token, `q=${prefix}&per_page=2&page=2`);
    expect(second.status, second.text).toBe(200);
    expect(second.headers.get("x-total-count")).toBe("5");
    expect(ids(second)).toEqual(created.slice(2, 4));
    const links = linksOf(second);
    expect(Object.keys(links).sort()).toEqual(["first", "last", "next", "prev"]);
    expect(ids(await follow(admin.token, links.next))).toEqual(created.slice(4));
    expect(ids(await follow(admin.token, links.prev))).toEqual(created.slice(0, 2));

    // Past the end: an empty page whose prev is the last page.
    const past = await listUsers(admin.token, `q=${prefix}&per_page=2&page=7`);
    expect(past.status, past.text).toBe(200);
    expect(past.json).toEqual([]);
    expect(past.headers.get("x-total-count")).toBe("5");
    expect(linksOf(past).next).toBeUndefined();
    expect(ids(await follow(admin.token, linksOf(past).prev))).toEqual(created.slice(3));

    // The deepest page allowed, and one past it.
    expect((await listUsers(admin.token, "per_page=100&page=100")).status).toBe(200);
    expect((await listUsers(admin.token, "per_page=1&page=10000")).status).toBe(200);
    for (const query of ["per_page=100&page=101", "page=501", "per_page=1&page=10001"]) {
      const body = expectProblem(await listUsers(admin.token, query), 422, "validation_failed");
      expect(body.errors?.[0]?.path).toBe("query.page");
      expect(body.errors?.[0]?.message).toContain("cursor");
    }
  });

  it("refuses a cursor that was altered, made for another list, or sent with page", async () => {
    const admin = await signUp({ admin: true });
    const prefix = uniqueName("tamper");
    for (const letter of ["a", "b", "c"]) await registerUser({ username: `${prefix}${letter}` });
    const first = await listUsers(admin.token, `q=${prefix}&per_page=1&sort=username`);
    const cursor = linksOf(first).next?.searchParams.get("cursor") as string;
    expect(cursor).toBeTruthy();
    const [payload = "", mac = ""] = cursor.split(".");
    const flip = (text: string, at: number) =>
      text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
    // The same position, written by hand: it has no valid MAC.
    const forged = `${btoa(JSON.stringify(["after", "", "00000000-0000-0000-0000-000000000000"])).replace(/=+$/, "")}.${mac}`;
    const refused = {
      "a changed payload": `q=${prefix}&per_page=1&sort=username&cursor=${flip(payload, 3)}.${mac}`,
      "a changed MAC": `q=${prefix}&per_page=1&sort=username&cursor=${payload}.${flip(mac, 5)}`,
      "a forged payload": `q=${prefix}&per_page=1&sort=username&cursor=${forged}`,
      "no MAC": `q=${prefix}&sort=username&cursor=${payload}`,
      "another sort": `q=${prefix}&per_page=1&sort=-username&cursor=${cursor}`,
      "another search": `q=${prefix}b&per_page=1&sort=username&cursor=${cursor}`,
      "another filter": `q=${prefix}&per_page=1&sort=username&role=USER&cursor=${cursor}`,
      garbage: "cursor=abc",
      "an empty one": "cursor=",
    };
    for (const [label, query] of Object.entries(refused)) {
      const res = await listUsers(admin.token, query);
      const body = expectProblem(res, 422, "validation_failed");
      expect(
        body.errors?.map((e) => e.path),
        label,
      ).toEqual(["query.cursor"]);
    }
    // per_page may change along the way: it is not part of the list.
    const wider = await listUsers(
      admin.token,
      `q=${prefix}&per_page=5&sort=username&cursor=${cursor}`,
    );
    expect(wider.status, wider.text).toBe(200);
    expect(wider.json).toHaveLength(2);
    const both = await listUsers(admin.token, `q=${prefix}&sort=username&page=2&cursor=${cursor}`);
    expect(expectProblem(both, 422, "validation_failed").errors?.[0]?.path).toBe("query.page");
    // A cursor of another list (a user's events) is not one of GET /users.
    const events = await call(`/users/${admin.id}/events?per_page=1`, { token: admin.token });
    const eventCursor = linksOf(events).last?.searchParams.get("cursor") as string;
    const foreign = await listUsers(admin.token, `cursor=${eventCursor}`);
    expect(expectProblem(foreign, 422, "validation_failed").errors?.[0]?.path).toBe("query.cursor");
  });

  it.each(["created_at", "-created_at", "username", "-email"])(
    "pages sort=%s through concurrent inserts and deletes without a duplicate or a skip",
    async (sort) => {
      const admin = await signUp({ admin: true });
      const prefix = uniqueName("walk");
      const initial: string[] = [];
      for (let i = 0; i < 18; i++) {
        // Names out of creation order, so that each sort walks another permutation.
        const name = `${prefix}${String((i * 7) % 18).padStart(2, "0")}`;
        initial.push((await registerUser({ username: name, email: `${name}@example.test` })).id);
      }
      const deleted = new Set(initial.filter((_, i) => i % 4 === 1));
      const writer = async () => {
        for (const [i, id] of [...deleted].entries()) {
          const name = `${prefix}${String(i * 5).padStart(2, "0")}x`;
          await Promise.all([
            registerUser({ username: name, email: `${name}@example.test` }),
            deleteUser(admin.token, id),
          ]);
        }
      };
      const [seen] = await Promise.all([
        walk(admin.token, `/users?q=${prefix}&per_page=3&sort=${sort}`),
        writer(),
      ]);
      expect(seen).toHaveLength(new Set(seen).size);
      for (const id of initial.filter((id) => !deleted.has(id))) expect(seen).toContain(id);
    },
  );

  it("counts exactly up to 10,000 matches, estimates past them, and counts all on request", async () => {
    const admin = await signUp({ admin: true });
    const prefix = uniqueName("bulk");
    // 10,050 users in one statement: through the API each would cost a bcrypt hash.
    await db(
      `insert into users (id, username, email, first_name, last_name, password_hash, created_at)
       select gen_random_uuid(), $1 || i, $1 || i || '@example.test', 'Bulk', 'User', 'x',
         now() - make_interval(secs => i)
       from generate_series(1, 10050) as i`,
      [prefix],
    );
    await db("analyze users");
    const search = await listUsers(admin.token, `q=${prefix}`);
    expect(search.status, search.text).toBe(200);
    expect(search.json).toHaveLength(20);
    expect(search.headers.get("x-total-count")).toBeNull();
    expect(Number(search.headers.get("x-total-count-estimate"))).toBeGreaterThan(10_000);
    // The planner's estimate of all users, from the statistics just gathered.
    const all = await listUsers(admin.token, "");
    expect(all.headers.get("x-total-count")).toBeNull();
    const estimate = Number(all.headers.get("x-total-count-estimate"));
    expect(estimate).toBeGreaterThan(10_000);
    expect(estimate).toBeLessThan(20_000);

    const exact = await listUsers(admin.token, `q=${prefix}&count=exact`);
    expect(exact.headers.get("x-total-count")).toBe("10050");
    expect(exact.headers.get("x-total-count-estimate")).toBeNull();
    expect(linksOf(exact).next?.searchParams.get("count")).toBe("exact");
    // The page of more than 10,000 matches walks the order's index; of at most 10,000, it is
    // sorted from the matches the count read. Both give the same rows, and cursors work on both.
    const names = (res: { json: { username: string }[] }) => res.json.map((u) => u.username);
    const oldest = Array.from({ length: 20 }, (_, i) => `${prefix}${10050 - i}`);
    expect(names(search)).toEqual(oldest);
    const newest = await listUsers(admin.token, `q=${prefix}&sort=-created_at&per_page=5`);
    expect(names(newest)).toEqual([1, 2, 3, 4, 5].map((i) => `${prefix}${i}`));
    // Fifty matches less: 10,000, exact again.
    await db("delete from users where username = any($1::text[])", [
      Array.from({ length: 50 }, (_, i) => `${prefix}${i + 1}`),
    ]);
    const atLimit = await listUsers(admin.token, `q=${prefix}`);
    expect(atLimit.headers.get("x-total-count")).toBe("10000");
    expect(names(atLimit)).toEqual(oldest);
    const fewer = await listUsers(admin.token, `q=${prefix}&sort=-created_at&per_page=5`);
    expect(names(fewer)).toEqual([51, 52, 53, 54, 55].map((i) => `${prefix}${i}`));
    const onward = await follow(admin.token, linksOf(fewer).next);
    expect(names(onward)).toEqual([56, 57, 58, 59, 60].map((i) => `${prefix}${i}`));
    expect(names(await follow(admin.token, linksOf(onward).prev))).toEqual(names(fewer));
    const tail = await follow(admin.token, linksOf(fewer).last);
    expect(names(tail)).toEqual([10046, 10047, 10048, 10049, 10050].map((i) => `${prefix}${i}`));
    // The last page of a long list is one step away, and the page after a deep cursor is too.
    const end = await follow(admin.token, linksOf(search).last);
    expect(end.status, end.text).toBe(200);
    expect(end.json).toHaveLength(20);
    const beforeEnd = await follow(admin.token, linksOf(end).prev);
    expect(beforeEnd.json).toHaveLength(20);
    expect(ids(beforeEnd)).not.toContain(ids(end)[0]);
    await db("delete from users where username like $1 || '%'", [prefix]);
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
    ["page", "10001"],
    ["count", "estimate"],
    ["count", "EXACT"],
    ["cursor", "not a cursor"],
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
