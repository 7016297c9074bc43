/**
 * Ready condition of every running resource, as Knative reports it: Ready True/False with a
 * reason (CamelCase) and a human message.
 */
export interface ResourceStatus {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly ready: boolean;
  readonly reason: string;
  readonly message: string;
}

/**
 * `Kind/namespace/name` as one flat string. A template literal makes a chain of V8 concatenated
 * strings (three 32-byte nodes and the pieces for a Trigger's key); `join` writes one sequential
 * string (~0.06 KB per resource less, heap snapshots with 10,000 Triggers, bench/footprint.mjs).
 */
const keyOf = (kind: string, namespace: string, name: string): string =>
  [kind, namespace, name].join('/');

/** Keeps the status of each resource by `Kind/namespace/name`. */
export class StatusBoard {
  readonly #statuses = new Map<string, ResourceStatus>();

  set(
    kind: string,
    namespace: string,
    name: string,
    ready: boolean,
    reason: string,
    message = '',
  ): void {
    this.#statuses.set(keyOf(kind, namespace, name), {
      kind,
      namespace,
      name,
      ready,
      reason,
      message,
    });
  }

  delete(kind: string, namespace: string, name: string): void {
    this.#statuses.delete(keyOf(kind, namespace, name));
  }

  list(): ResourceStatus[] {
    return [...this.#statuses.values()];
  }

  notReady(): ResourceStatus[] {
    return this.list().filter((s) => !s.ready);
  }

  /** What `GET /readyz` answers: ready, or every resource that is not with its reason. */
  readiness(): {
    ready: boolean;
    notReady: Array<{ resource: string; reason: string; message: string }>;
  } {
    const notReady = this.notReady();
    return {
      ready: notReady.length === 0,
      notReady: notReady.map((s) => ({
        resource: `${s.kind}/${s.namespace}/${s.name}`,
        reason: s.reason,
        message: s.message,
      })),
    };
  }
}
