import * as workers from "cloudflare:workers";

/**
 * Workers' custom spans (`tracing.enterSpan`), where the runtime has them: a named span around
 * `work`, nested under the request's span, ended when `work` settles. The span is handed over only
 * when this request is traced (wrangler.toml samples traces), so an untraced request sets no
 * attribute. Attributes must never carry a secret, a token, an email or a raw id: the trace leaves
 * the account for whatever OpenTelemetry destination is configured.
 */
const tracing = (workers as { tracing?: Tracing }).tracing;

export function inSpan<T>(name: string, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (!tracing) return work(undefined);
  return tracing.enterSpan(name, (span) => work(span.isTraced ? span : undefined));
}
