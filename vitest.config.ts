import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { EXAMPLE_SIGNING_KEYS } from "./src/lib/signing-keys";

export default defineConfig({
  test: {
    // Every request writes its log line (middleware/request-log.ts): tests that care read them
    // with a spy (test/helpers/logs.ts); in the output they would bury everything else.
    onConsoleLog: (log) => !log.startsWith('{"level":"info","event":"request"'),
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            // Tests run the source; wrangler.toml's main is the bundle that deploys ship.
            main: "./src/index.ts",
            miniflare: {
              bindings: {
                DATABASE_URL: inject("databaseUrl"),
                NEON_FETCH_ENDPOINT: inject("sqlEndpointUrl"),
                JWT_SECRET: "test-secret-that-is-long-enough-for-hs256-0123456789",
                // The repository's example key set: refused outside local development.
                JWT_SIGNING_KEYS: JSON.stringify(EXAMPLE_SIGNING_KEYS),
                SECRET_ADMIN_KEY: "test-admin-key",
                BCRYPT_COST: "4",
                // A test file's first query creates and migrates its database, which can take
                // far longer than the production deadline of 10 s on a busy machine.
                DATABASE_TIMEOUT: "120",
                MAIL_PROVIDER: "resend",
                RESEND_API_KEY: "re_test_key",
                MAIL_API_URL: inject("mailSinkUrl"),
                MAIL_FROM: "User API <no-reply@example.test>",
                PASSWORD_RESET_URL: "https://app.example.test/reset-password",
                EMAIL_VERIFY_URL: "https://app.example.test/verify-email",
                MAIL_APP_NAME: "Acme Accounts",
                // A fixed test key: 32 bytes, base64.
                MFA_ENCRYPTION_KEY: "3q2+7w5xY1Q4Zk9vJmVtQ2FyZ29LZXlGb3JUZXN0czE=",
              },
            },
          })),
        ],
        test: {
          name: "worker",
          include: ["test/**/*.test.ts"],
          exclude: ["test/node/**", "test/browser/**"],
          globalSetup: ["./test/global-setup.ts"],
          // The first test of a file also creates and migrates its database.
          testTimeout: 40_000,
        },
      },
      {
        // What needs Node rather than workerd: the standard OpenAPI validator and linter.
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "scripts",
          include: ["scripts/**/*.test.ts"],
          environment: "node",
          // Opening a PGlite database and migrating it takes over 30 s on a loaded 2-core machine.
          testTimeout: 60_000,
        },
      },
    ],
  },
});
