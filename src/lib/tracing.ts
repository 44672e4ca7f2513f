import { currentStats, type RequestStats, type TracedContext } from "./request-context";

/** Whether the runtime traces the request of `ctx` (wrangler.toml samples one in ten). */
function askTracing(ctx: TracedContext | undefined): Tracing | undefined {
  try {
    const tracing = ctx?.tracing;
    return tracing?.getActiveSpan?.()?.isTraced ? tracing : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The request's custom spans, only when the runtime traces it: opening a span costs an async
 * context of its own even when nothing records it. Asked once, on the request's first span, not
 * at its start: `getActiveSpan()` is a runtime call (8,700 instructions, 0.8 % of a read:
 * BENCHMARKS.md, "Observability") that a request opening none (no query: /health, a refused
 * token) is spared. Once asked, the stats keep the answer and let the ExecutionContext go.
 */
function tracingOf(stats: RequestStats | undefined): Tracing | undefined {
  if (!stats) return undefined;
  if (stats.tracing === undefined) {
    stats.tracing = askTracing(stats.traceSource) ?? null;
    stats.traceSource = undefined;
  }
  return stats.tracing ?? undefined;
}

/**
 * Workers' custom spans (`ctx.tracing.enterSpan`), where the runtime traces the request: a named
 * span around `work`, nested under the request's span, ended when `work` settles. Untraced
 * requests, code outside a request and runtimes without tracing (Node, for the OpenAPI document)
 * just run `work`. Attributes must never carry a secret, a token, an email or a raw id: the trace
 * leaves for whatever OpenTelemetry destination is set.
 */
export function inSpan<T>(name: string, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  const tracing = tracingOf(currentStats());
  if (!tracing?.enterSpan) return work(undefined);
  return tracing.enterSpan(name, (span) => work(span.isTraced ? span : undefined));
}
