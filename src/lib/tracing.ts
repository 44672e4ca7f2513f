import { currentStats } from "./request-context";

/**
 * Workers' custom spans (`ctx.tracing.enterSpan`), where the runtime traces the request: a named
 * span around `work`, nested under the request's span, ended when `work` settles. The tracing
 * object comes from the request's ExecutionContext through its stats, looked up on the request's
 * first span and only when the request is traced (middleware/request-log.ts), so an untraced
 * request, code outside a request and runtimes without tracing (Node, for the OpenAPI document)
 * just run `work`. Attributes must never carry a secret, a token, an email or a raw id: the trace
 * leaves for whatever OpenTelemetry destination is set.
 */
export function inSpan<T>(name: string, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  const tracing = currentStats()?.tracing?.();
  if (!tracing?.enterSpan) return work(undefined);
  return tracing.enterSpan(name, (span) => work(span.isTraced ? span : undefined));
}
