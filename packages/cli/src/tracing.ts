/** A registered tracer provider; flush and stop it on shutdown. */
export interface TracingHandle {
  readonly endpoint: string;
  shutdown(): Promise<void>;
}

/**
 * Registers an OpenTelemetry tracer provider exporting over OTLP/HTTP when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set and
 * `OTEL_SDK_DISABLED` is not `true`. Without it nothing is registered and the broker's spans are
 * the API's no-op spans (no export, no cost beyond passing `traceparent` on).
 * `OTEL_SERVICE_NAME` names the service (default `tributary`); the exporter reads the other
 * standard `OTEL_EXPORTER_OTLP_*` variables (headers, timeout) itself.
 */
export async function setupTracing(
  env: NodeJS.ProcessEnv = process.env,
): Promise<TracingHandle | undefined> {
  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (!endpoint || env['OTEL_SDK_DISABLED'] === 'true') return undefined;
  // The API, SDK and exporter load here only when tracing is configured: no start-up cost otherwise.
  const [
    { trace },
    { OTLPTraceExporter },
    { resourceFromAttributes },
    { BasicTracerProvider, BatchSpanProcessor },
  ] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
  ]);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env['OTEL_SERVICE_NAME'] ?? 'tributary' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  trace.setGlobalTracerProvider(provider);
  return {
    endpoint,
    shutdown: () => provider.shutdown(),
  };
}
