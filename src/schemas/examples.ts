// The one story every example tells (the README's curl session, requests.http, and the OpenAPI
// examples Swagger UI prefills): alice, the admin of local development, and bob, a user. What one
// of them registers with, the login example logs in with (test/examples-story.test.ts).

/** SECRET_ADMIN_KEY of .dev.vars.example: refused outside local development. */
export const LOCAL_ADMIN_KEY = "local-admin-key";

export const ALICE = {
  username: "alice",
  email: "alice@example.com",
  first_name: "Alice",
  last_name: "Liddell",
  password: "Violet-Lantern-Orbit-42",
};

export const BOB = {
  username: "bob",
  email: "bob@example.com",
  first_name: "Bob",
  last_name: "Builder",
  password: "Quiet-Harbour-Maple-17",
};

/** The new password of the change-password and reset examples. */
export const NEXT_PASSWORD = "Amber-Compass-River-58";
