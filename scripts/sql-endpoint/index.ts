// Local stand-in for Neon's SQL-over-HTTP endpoint, so the Worker runs the very same
// `@neondatabase/serverless` + `drizzle-orm/neon-http` code locally as against Neon (see
// docs/architecture.md, "The database path"). Behind it: embedded PGlite, or a real PostgreSQL
// server. It runs any SQL it is sent, so it serves only this project's Worker (see access.ts).
// This is what the dev server, the tests and the benchmark import; `cli.ts` runs it alone.
export type { Backend, Statement } from "./database.ts";
export type { ParsedRequest } from "./request.ts";
export { type SqlEndpoint, type SqlEndpointOptions, startSqlEndpoint } from "./server.ts";
