// The scenarios `npm run bench` measures, in order: this workerd's own floors (reference Workers
// without the API: one that only answers, one that sends a trivial query first), the API's two
// floors (no database; one trivial query), the authenticated reads, the list with and without a
// search, the session lists (a user's own, as user000001 and as a bulk user whose tokens the
// seeding made, and an admin's of another user), the event lists (one user's and everyone's), an
// admin's PATCH, the refresh-token rotation and the login. targets.ts knows each by its id.
import type { Scenario } from "./measure.ts";
import { SEARCH, type seed } from "./seed.ts";
import { connections, loginConnections, loginSeconds, seconds } from "./settings.ts";
import type { Workerd } from "./workerd.ts";

type Seeded = Awaited<ReturnType<typeof seed>>;

export function scenarios(seeded: Seeded, references: Workerd["references"]): Scenario[] {
  const admin = seeded.adminToken;
  const self = seeded.selfToken;
  const get = (id: string, name: string, path: string, token?: string): Scenario => ({
    id,
    name,
    method: "GET",
    path,
    token,
    connections,
    seconds,
  });
  const list = "/users?per_page=20";
  const other = `/users/${seeded.otherUserId}`;
  return [
    { ...get("bare", "reference: bare Worker", "/"), origin: references.bare },
    { ...get("bareQuery", "reference: bare Worker + 1 query", "/"), origin: references.bareQuery },
    get("health", "GET /health", "/health"),
    get("ready", "GET /health/ready", "/health/ready"),
    get("me", "GET /users/me", "/users/me", self),
    get("selfById", "GET /users/{id} self", `/users/${seeded.selfId}`, self),
    get("otherById", "GET /users/{id} admin, other", other, admin),
    get("list", `GET ${list}`, list, admin),
    get("search", `GET ${list}&q=${SEARCH}`, `${list}&q=${SEARCH}`, admin),
    // First pages at the default per_page, as a client opens them.
    get("sessions", "GET /auth/sessions self", "/auth/sessions", self),
    get("otherSessions", "GET /auth/sessions bulk user", "/auth/sessions", seeded.otherToken),
    get("userSessions", "GET /users/{id}/sessions admin, other", `${other}/sessions`, admin),
    get("userEvents", "GET /users/{id}/events admin, other", `${other}/events`, admin),
    get("events", "GET /events", "/events", admin),
    {
      id: "patch",
      name: "PATCH /users/{id} admin",
      method: "PATCH",
      path: `/users/${seeded.patchUserId}`,
      token: admin,
      body: JSON.stringify({ first_name: "Bench" }),
      connections,
      seconds,
    },
    {
      id: "refresh",
      name: "POST /auth/refresh",
      method: "POST",
      path: "/auth/refresh",
      connections,
      seconds,
      // Filled in when the scenario's turn comes (index.ts): one session per connection.
      chains: [],
    },
    {
      id: "login",
      name: "POST /auth/login",
      method: "POST",
      path: "/auth/login",
      body: JSON.stringify(seeded.login),
      connections: loginConnections,
      seconds: loginSeconds,
    },
  ];
}
