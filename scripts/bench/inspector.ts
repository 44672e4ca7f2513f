// A small Chrome DevTools Protocol client for workerd's inspector (`workerd serve --inspector-addr`):
// finds one Worker's target in /json/list, connects to it over a WebSocket (Node's global one) and
// sends commands, each answered by its id. profile.ts uses it to run V8's sampling profiler inside
// the API Worker's isolate while the Worker is under load.
import { setTimeout as sleep } from "node:timers/promises";
import type { CpuProfile } from "./cpuprofile.ts";

type Target = { id?: string; title?: string; url?: string; webSocketDebuggerUrl?: string };

export type Inspector = {
  send(method: string, params?: Record<string, unknown>): Promise<unknown>;
  close(): void;
};

// Generous: Profiler.stop serializes tens of thousands of samples.
const ANSWER_TIMEOUT_MS = 60_000;

async function targets(port: number): Promise<Target[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/json/list`);
      if (response.ok) return (await response.json()) as Target[];
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`the inspector at port ${port} lists no targets`);
    await sleep(100);
  }
}

/** Connects to the inspector target of the Worker (workerd service) called `worker`. */
export async function connectInspector(port: number, worker: string): Promise<Inspector> {
  const listed = await targets(port);
  // workerd names a Worker's target after its service, as "<kind>:<...>:<service>".
  const target = listed.find(
    (t) => t.webSocketDebuggerUrl && (t.id === worker || t.id?.endsWith(`:${worker}`)),
  );
  if (!target?.webSocketDebuggerUrl) {
    throw new Error(`no inspector target for "${worker}" among ${JSON.stringify(listed)}`);
  }
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolveOpen, rejectOpen) => {
    socket.addEventListener("open", () => resolveOpen(), { once: true });
    socket.addEventListener("error", () => rejectOpen(new Error("inspector connection failed")), {
      once: true,
    });
  });

  type Pending = { resolve(result: unknown): void; reject(error: Error): void };
  const pending = new Map<number, Pending>();
  let nextId = 1;
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as {
      id?: number;
      result?: unknown;
      error?: { message?: string };
    };
    const waiting = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiting || message.id === undefined) return; // an event, not an answer
    pending.delete(message.id);
    if (message.error) waiting.reject(new Error(message.error.message ?? "inspector error"));
    else waiting.resolve(message.result);
  });
  socket.addEventListener("close", () => {
    for (const waiting of pending.values()) waiting.reject(new Error("the inspector closed"));
    pending.clear();
  });

  return {
    send(method, params = {}) {
      const id = nextId++;
      return new Promise((resolveAnswer, rejectAnswer) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          rejectAnswer(new Error(`the inspector did not answer ${method}`));
        }, ANSWER_TIMEOUT_MS);
        const settle =
          <T>(then: (value: T) => void) =>
          (value: T) => {
            clearTimeout(timer);
            then(value);
          };
        pending.set(id, { resolve: settle(resolveAnswer), reject: settle(rejectAnswer) });
        socket.send(JSON.stringify({ id, method, params }));
      });
    },
    close() {
      socket.close();
    },
  };
}

/**
 * Samples the Worker's isolate every `intervalMicroseconds` while `during` runs: the profile, as
 * Chrome DevTools opens it.
 */
export async function profileWhile(
  inspector: Inspector,
  intervalMicroseconds: number,
  during: () => Promise<void>,
): Promise<CpuProfile> {
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: intervalMicroseconds });
  await inspector.send("Profiler.start");
  try {
    await during();
  } catch (error) {
    // Stopped on failure too, so the isolate does not go on sampling.
    await inspector.send("Profiler.stop").catch(() => {});
    throw error;
  }
  const { profile } = (await inspector.send("Profiler.stop")) as { profile: CpuProfile };
  await inspector.send("Profiler.disable");
  return profile;
}
