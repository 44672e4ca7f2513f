// Without the METRICS binding the API serves as ever and says once that metrics are off. A file
// of its own: "once" is per isolate, and each test file runs in its own.
import { describe, expect, it } from "vitest";
import { captureLogs } from "./helpers/logs";
import { call } from "./helpers/worker";

describe("without a METRICS binding", () => {
  it("requests still answer, and a single log line says metrics are off", async () => {
    const logs = captureLogs();
    const answers = [];
    try {
      for (let i = 0; i < 3; i++) {
        answers.push(await call("/health", { env: { METRICS: undefined } }));
        answers.push(
          await call("/auth/login", {
            body: { email: "nobody@example.test", password: "Wrong-Guess-123" },
            env: { METRICS: undefined },
          }),
        );
      }
    } finally {
      logs.restore();
    }
    expect(answers.map((res) => res.status)).toEqual([200, 401, 200, 401, 200, 401]);
    const notes = logs.lines.filter((line) => line.includes("metrics_disabled"));
    expect(notes).toHaveLength(1);
    expect(JSON.parse(notes[0] ?? "{}")).toMatchObject({
      level: "warn",
      event: "metrics_disabled",
    });
  });
});
