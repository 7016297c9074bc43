/**
 * A running source adapter (Knative's `Adapter.Start(ctx)`): reads from somewhere, emits
 * CloudEvents to its Sink, and acknowledges what it read only after the sink accepted the event.
 */
export interface Source {
  /** Runs until `signal` aborts; resolves once stopped and everything read was settled. */
  start(signal: AbortSignal): Promise<void>;
}
