import { createHash } from 'node:crypto';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Agent } from 'undici';
import {
  type DeliveryCredentials,
  type DeliveryOwner,
  type Destination,
  type IngressAuthorizer,
  type Logger,
  type RefTargetKind,
  oidcSubjectOf,
  refTarget,
  resolveUri,
} from '@tributary/core';
import type { CloudEvent } from '@tributary/core';
import type { DeliveryTarget, SendOutcome } from '../dispatcher/delivery-target.js';
import { createDeliveryAgent, createHttpTarget } from '../dispatcher/http-target.js';
import { createFunctionTarget, loadFunctionModule } from '../dispatcher/function-target.js';

/** What a Destination's `ref` may point at, from the runtime's point of view. */
export interface AddressableLookup {
  /** An in-process ingress (Broker, Channel, Sequence, Parallel) by ref kind, namespace and name. */
  ingress(kind: RefTargetKind, namespace: string, name: string): IngressHop | undefined;
  /** A Function resource's spec by namespace and name. */
  functionSpec(namespace: string, name: string): FunctionSpecLike | undefined;
  /** True when an absolute URI addresses this process's own HTTP server. */
  isOwnServer?(url: URL): boolean;
  /**
   * An addressable a plugin registered (a Service, a JobSink, …) by the ref's API group (any
   * version), kind, namespace and name; consulted before anything else.
   */
  addressable?(
    group: string,
    kind: string,
    namespace: string,
    name: string,
  ): Addressable | undefined;
}

/**
 * What a plugin registers to make a kind addressable: an HTTP `url` (a ref's relative `uri`
 * resolves against it), an in-process `target` (given the ref's relative `uri`, if any), or the
 * `error` that says why it has no address (the referrer reports it as not Ready).
 */
export type Addressable =
  | { readonly url: string }
  | { readonly target: (relativeUri: string | undefined) => DeliveryTarget }
  | { readonly error: string };

/** The API group of an apiVersion (`serving.knative.dev/v1` → `serving.knative.dev`, `v1` → ``). */
export function apiGroup(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

const FUNCTION_HINT = (name: string) => `a tributary.dev/v1alpha1 Function named '${name}'`;

export interface FunctionSpecLike {
  readonly url?: string | undefined;
  readonly module?: string | undefined;
  readonly export?: string | undefined;
  /** Directory of the manifest that declared it (module paths resolve against it). */
  readonly baseDir: string;
}

/** An ingress reachable without HTTP: same validation, TTL and 202 semantics. */
export interface IngressHop {
  readonly url: string;
  ingest(events: CloudEvent[]): Promise<{ status: number; error?: string }>;
}

export type Resolved = { target: DeliveryTarget } | { error: string };

/**
 * The security hooks the runtime holds (docs/security.md); the auth plugin fills them. Read at
 * every use, so a reload that changes them takes effect at once.
 */
export interface SecurityHooks {
  /** Decides ingress requests (HTTP and in-process hops from a known owner). */
  authorizer?: IngressAuthorizer | undefined;
  /** Mints `Authorization` for Destinations with an `audience`. */
  credentials?: DeliveryCredentials | undefined;
}

/** Who a Destination is resolved for, how its deliveries are signed, and over which pool. */
export interface ResolveOptions {
  /** The connection pool of HTTP targets (a Trigger's own); else one per destination URL. */
  readonly agent?: Agent | undefined;
  /** The Trigger, Subscription or source delivering: names the token's `sub`, identifies in-process senders. */
  readonly owner?: DeliveryOwner | undefined;
  /** Standard Webhooks key: deliveries get `webhook-id`, `webhook-timestamp`, `webhook-signature`. */
  readonly sign?:
    ((eventId: string, body: Uint8Array | undefined) => Record<string, string>) | undefined;
}

/** Kinds of in-process ingress hops, as an EventPolicy names them. */
const HOP_KIND: Record<string, string> = {
  broker: 'Broker',
  channel: 'Channel',
  sequence: 'Sequence',
  parallel: 'Parallel',
};

/**
 * Turns Destinations into delivery targets: absolute URIs become HTTP targets; refs to Functions
 * become HTTP or in-process targets; refs to Brokers become in-process ingress hops. Loaded
 * function modules are cached per file and export.
 */
export class DestinationResolver {
  readonly #modules = new Map<string, Promise<DeliveryTarget>>();
  /** One pool per destination URL for callers without their own (Subscriptions, flows, sources). */
  readonly #perDestination = new Map<string, Agent>();
  /** One agent per private CA bundle (Destination `CACerts`). */
  readonly #caAgents = new Map<string, Agent>();

  constructor(
    private readonly lookup: AddressableLookup,
    private readonly logger: Logger,
    private readonly security: SecurityHooks = {},
  ) {}

  /** An HTTP target with the Destination's CA, audience token and signing. */
  #http(
    url: string,
    dest: Destination,
    namespace: string,
    o: ResolveOptions,
    keepsTtl = false,
  ): DeliveryTarget {
    const audience = dest.audience;
    const owner = o.owner;
    const security = this.security;
    return createHttpTarget(url, {
      agent: dest.CACerts ? this.#caAgent(dest.CACerts) : (o.agent ?? this.#agentFor(url)),
      namespace,
      keepsTtl,
      ...(audience && owner
        ? {
            authorization: () => {
              const c = security.credentials;
              if (!c)
                return Promise.reject(
                  new Error(
                    `audience '${audience}' needs Tributary's signing keys, which are not loaded`,
                  ),
                );
              return c.authorization(owner, audience);
            },
          }
        : {}),
      ...(o.sign ? { sign: o.sign } : {}),
    });
  }

  #caAgent(pem: string): Agent {
    const key = createHash('sha256').update(pem).digest('hex');
    let a = this.#caAgents.get(key);
    if (!a) {
      a = createDeliveryAgent({ ca: pem });
      this.#caAgents.set(key, a);
    }
    return a;
  }

  /**
   * Resolves `dest`. HTTP targets use `options.agent` when given (a Trigger's own pool), else a
   * pool of their own per destination URL: either way one subscriber's hung connections cannot take
   * the connections of another (docs/manifests.md, delivery). `owner` names who delivers (tokens,
   * EventPolicies; docs/security.md).
   */
  async resolve(
    dest: Destination,
    namespace: string,
    options: ResolveOptions = {},
  ): Promise<Resolved> {
    if (!dest.ref) {
      const uri = dest.uri as string;
      // A URI into our own server is an ingress hop over HTTP: it keeps the TTL, so loops end.
      const keepsTtl = this.lookup.isOwnServer?.(new URL(uri)) === true;
      return { target: this.#http(uri, dest, namespace, options, keepsTtl) };
    }
    const ref = dest.ref;
    const target = refTarget(ref, namespace);
    const ns = target.namespace;
    const refText = `${ref.kind} '${ns}/${ref.name}' (${ref.apiVersion})`;
    const group = apiGroup(ref.apiVersion);
    const registered = this.lookup.addressable?.(group, ref.kind, ns, ref.name);
    if (registered) {
      if ('error' in registered) return { error: `ref ${refText}: ${registered.error}` };
      if ('url' in registered)
        return {
          target: this.#http(resolveUri(registered.url, dest.uri), dest, namespace, options),
        };
      return { target: registered.target(dest.uri) };
    }
    const kubeService = group === '' && ref.kind === 'Service';
    if (target.kind === 'function' || kubeService) {
      const fn = this.lookup.functionSpec(ns, ref.name);
      if (!fn && kubeService)
        return {
          error: `ref ${refText} has no address: Tributary runs no Kubernetes Services; declare a v1 Service '${ref.name}' with the annotation tributary.dev/url (its HTTP address), or ${FUNCTION_HINT(ref.name)}`,
        };
      if (!fn && ref.kind === 'Service')
        return {
          error: `ref ${refText} does not exist: declare a serving.knative.dev/v1 Service '${ref.name}' (a sample image, a container command, or the annotation tributary.dev/url), or ${FUNCTION_HINT(ref.name)}`,
        };
      if (!fn)
        return { error: `ref ${refText} does not exist: declare ${FUNCTION_HINT(ref.name)}` };
      if (fn.url)
        return { target: this.#http(resolveUri(fn.url, dest.uri), dest, namespace, options) };
      const modulePath = path.resolve(fn.baseDir, fn.module as string);
      const cacheKey = `${modulePath}#${fn.export ?? 'default'}`;
      let pending = this.#modules.get(cacheKey);
      if (!pending) {
        pending = loadFunctionModule(modulePath, fn.export ?? 'default', fn.baseDir).then(
          (handler) => createFunctionTarget(`${ns}/${ref.name}`, handler, { logger: this.logger }),
        );
        this.#modules.set(cacheKey, pending);
      }
      try {
        return { target: await pending };
      } catch (err) {
        this.#modules.delete(cacheKey);
        return { error: `Function '${ns}/${ref.name}': ${(err as Error).message}` };
      }
    }
    if (target.kind === 'unknown') {
      return {
        error: `ref ${refText} is not an addressable Tributary knows (tributary.dev Function, serving.knative.dev Service, v1 Service with the annotation tributary.dev/url, Broker, Channel, Sequence, Parallel, JobSink)`,
      };
    }
    const hop = this.lookup.ingress(target.kind, ns, ref.name);
    if (!hop) return { error: `ref ${refText} does not exist` };
    if (dest.uri)
      return {
        error: `ref ${refText} is an in-process ingress: uri '${dest.uri}' cannot be added to it`,
      };
    return { target: ingressTarget(this.#guarded(hop, target.kind, ns, ref.name, options.owner)) };
  }

  /**
   * An in-process hop from a known owner (a source, a Trigger) is authorized as the owner's
   * subject, so EventPolicy `from.ref` entries name in-process senders.
   */
  #guarded(
    hop: IngressHop,
    kind: string,
    ns: string,
    name: string,
    owner?: DeliveryOwner,
  ): IngressHop {
    if (!owner) return hop;
    const security = this.security;
    const subject = oidcSubjectOf(owner);
    const resource = { kind: HOP_KIND[kind] ?? kind, namespace: ns, name };
    return {
      get url() {
        return hop.url;
      },
      async ingest(events) {
        const authorizer = security.authorizer;
        if (authorizer) {
          const d = await authorizer.authorize({ subject, events }, resource);
          if (!d.allowed) return { status: d.status, error: d.message };
        }
        return hop.ingest(events);
      },
    };
  }

  #agentFor(url: string): Agent {
    let agent = this.#perDestination.get(url);
    if (!agent) {
      agent = createDeliveryAgent();
      this.#perDestination.set(url, agent);
    }
    return agent;
  }

  /** Closes the per-destination pools (the runtime stops). */
  async close(): Promise<void> {
    const agents = [...this.#perDestination.values(), ...this.#caAgents.values()];
    this.#perDestination.clear();
    this.#caAgents.clear();
    await Promise.all(agents.map((a) => a.destroy()));
  }
}

/** A DeliveryTarget that hands events to an in-process ingress. */
export function ingressTarget(hop: IngressHop): DeliveryTarget {
  return {
    get url() {
      return hop.url;
    },
    keepsTtl: true,
    async send(event: CloudEvent): Promise<SendOutcome> {
      // Yield to the event loop between in-process hops: a loop through brokers or channels is
      // otherwise an endless chain of microtasks that starves I/O, /healthz and SIGTERM.
      await yieldToEventLoop();
      const r = await hop.ingest([event]);
      const body = r.error ? Buffer.from(JSON.stringify({ error: r.error })) : new Uint8Array();
      return { kind: 'response', status: r.status, headers: {}, body };
    },
  };
}
