// What a front end in another repository imports: the app's type for `hc<AppType>` of
// hono/client. `npm run build:client` turns this into declarations (dist/client/), which `npm
// pack` ships as the package's `user-management-api/client` export (README, "A typed client").
export type { AppType } from "./app";
