/**
 * `createMesh`: Tributary inside your program (docs/embedding.md). The kinds, plugins and
 * backends are wired explicitly (docs/embedding.md, "Wiring"); the types are in mesh-types.ts and
 * the data directory in mesh-durable.ts.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import {
  type CloudEvent,
  ConfigError,
  type KindSet,
  type LoadResult,
  type Logger,
  type Topology,
  SecretScrubber,
  createTopology,
  formatProblem,
  loadResources,
  secretValues,
} from '@tributary/core';
import { SigningKeys } from '@tributary/auth';
import {
  type ApplyReport,
  type SecurityHooks,
  type Runtime,
  type RuntimePlugin,
  createRuntime,
} from '@tributary/broker';
import { FUNCTION_API_VERSION, meshSubscribersPlugin } from './mesh-subscribers.js';
import type { FunctionHandler } from '@tributary/function';
import { type EventInput, EventRejectedError, ReplyTimeoutError, buildEvent } from '@tributary/sdk';
import type { RequestReplyPlugin } from '@tributary/transforms';
import { loadAll, triggerFilterValidator } from './commands/manifests.js';
import { MeshStateError } from './errors.js';
import { tributaryKinds } from './kinds.js';
import { type DurableRuntimeParts, openDurableBackend } from './mesh-durable.js';
import type { Mesh, MeshFilter, MeshInput, MeshOptions, MeshSubscription } from './mesh-types.js';
import { defaultBackends, defaultPlugins, loadedPlugin } from './plugins.js';

export type {
  Mesh,
  MeshFilter,
  MeshInput,
  MeshOptions,
  MeshSecurityOptions,
  MeshSubscription,
} from './mesh-types.js';
export { MeshStateError } from './errors.js';

function toLogger(option: Logger | string | undefined): Logger {
  if (option !== undefined && typeof option !== 'string') return option;
  return pino({ level: option ?? 'warn', base: { service: 'tributary' } }, pino.destination(2));
}

async function load(input: MeshInput, kinds: KindSet): Promise<LoadResult> {
  if ('files' in input)
    return loadAll(typeof input.files === 'string' ? [input.files] : [...input.files], kinds);
  if ('resources' in input && Array.isArray(input.resources)) {
    return loadResources(input.resources, { validators: [triggerFilterValidator], kinds });
  }
  throw new TypeError(
    "createMesh(input): pass { files: 'path/or/dir' } or { resources: [ ...objects ] }",
  );
}

/**
 * Loads and validates manifests and returns a Tributary you start, publish to and stop from your
 * own program (the CLI's `run` is built on it). Rejects with `ConfigError` listing every problem.
 *
 * @example
 * const mesh = await createMesh({ files: './manifests' }, { logger: 'info' });
 * const url = await mesh.start();            // http://127.0.0.1:<port>
 * await mesh.publish('default', 'default', { type: 'com.example.hello', data: { name: 'Ada' } });
 * await mesh.stop();
 */
export async function createMesh(input: MeshInput, options: MeshOptions = {}): Promise<Mesh> {
  const kinds = options.kinds ?? tributaryKinds;
  const result = await load(input, kinds);
  if (result.problems.length > 0) throw new ConfigError(result.problems);
  let topology = result.topology;
  const logger = toLogger(options.logger);
  // Not fatal for run: unresolved refs leave their owners not Ready (see /readyz).
  for (const w of [...(result.unresolved ?? []), ...(result.warnings ?? [])])
    logger.warn({ file: w.file, line: w.line, resource: w.resource }, formatProblem(w));
  const hidden: unknown[] = [];
  /** The in-process subscribers by `<namespace>/<name>`, addressed as Functions of that name. */
  const handlers = new Map<string, FunctionHandler>();
  const subscribers = meshSubscribersPlugin(handlers, logger);
  let runtime: Runtime | undefined;
  let dataStore: { close(): void } | undefined;
  let state: 'created' | 'starting' | 'running' | 'stopped' = 'created';
  const sec = options.security ?? {};
  const scrubber = sec.scrubber ?? new SecretScrubber();
  const keys = new SigningKeys(
    sec.keysDir ?? (options.dataDir ? join(options.dataDir, 'keys') : undefined),
  );
  const hooks: SecurityHooks = {};
  const authOptions = { keys, publicUrl: sec.publicUrl, scrubber };
  const noteSecrets = (t: Topology) => scrubber.add(...secretValues(t));
  noteSecrets(topology);

  function subscribe(
    namespace: string,
    broker: string,
    filterOrHandler: MeshFilter | FunctionHandler | undefined,
    maybeHandler?: FunctionHandler,
  ): MeshSubscription {
    const handler = typeof filterOrHandler === 'function' ? filterOrHandler : maybeHandler;
    const filter = typeof filterOrHandler === 'function' ? undefined : filterOrHandler;
    if (typeof handler !== 'function')
      throw new TypeError(
        'subscribe(namespace, broker, filter?, handler): handler must be a function',
      );
    if (state !== 'created') {
      throw new MeshStateError(
        `subscribe('${namespace}', '${broker}') must be called before start(); the mesh is ${state}`,
      );
    }
    let n = hidden.length + 1;
    while (topology.get('Trigger', namespace, `tributary-mesh-subscriber-${n}`)) n++;
    const name = `tributary-mesh-subscriber-${n}`;
    if (!topology.get('Broker', namespace, broker)) {
      const known = topology.brokers.map((b) => `${b.metadata.namespace}/${b.metadata.name}`);
      throw new ConfigError([
        {
          file: '<subscribe>',
          line: 0,
          col: 0,
          resource: `Trigger/${name}`,
          path: 'spec.broker',
          message: `broker '${namespace}/${broker}' does not exist (brokers: ${known.join(', ') || 'none'}); subscribe to one of them`,
        },
      ]);
    }
    // The subscriber ref names a Function the mesh's plugin makes addressable in-process.
    const resources = [
      {
        apiVersion: 'eventing.knative.dev/v1',
        kind: 'Trigger',
        metadata: { name, namespace },
        spec: {
          broker,
          ...(filter?.attributes ? { filter: { attributes: filter.attributes } } : {}),
          ...(filter?.filters ? { filters: filter.filters } : {}),
          subscriber: { ref: { apiVersion: FUNCTION_API_VERSION, kind: 'Function', name } },
        },
      },
    ];
    const checked = loadResources(resources, { validators: [triggerFilterValidator], kinds });
    if (checked.problems.length > 0)
      throw new ConfigError(checked.problems.map((p) => ({ ...p, file: '<subscribe>' })));
    const key = `${namespace}/${name}`;
    handlers.set(key, handler);
    hidden.push(...resources);
    // Unsubscribed: the Function stays addressable (a reload resolves it again) and acknowledges.
    return { name, unsubscribe: () => void handlers.set(key, () => undefined) };
  }

  async function publish(
    namespace: string,
    broker: string,
    event: CloudEvent | EventInput,
  ): Promise<{ status: number }> {
    if (!runtime || state !== 'running')
      throw new MeshStateError(
        `publish('${namespace}', '${broker}'): the mesh is ${state}; call start() first`,
      );
    const ce = isCloudEvent(event) ? event : buildEvent(event, options.source ?? '/tributary/mesh');
    const r = await runtime.publish(namespace, broker, [ce]);
    if (r.status < 200 || r.status > 299)
      throw new EventRejectedError(
        r.status,
        r.error ?? '',
        1,
        `${runtime.url}/${namespace}/${broker}`,
      );
    return { status: r.status };
  }

  let plugins: readonly RuntimePlugin[] = options.plugins ?? [];
  const createPlugins = (): RuntimePlugin[] => {
    const created = [
      ...defaultPlugins(authOptions),
      subscribers,
      ...(options.extraPlugins?.() ?? []),
    ];
    plugins = created;
    return created;
  };

  async function request(
    namespace: string,
    name: string,
    event: CloudEvent | EventInput,
    o: { timeout?: number; signal?: AbortSignal } = {},
  ): Promise<CloudEvent> {
    const address = `${runtime?.url ?? ''}/${namespace}/requestreplies/${name}`;
    if (!runtime || state !== 'running')
      throw new MeshStateError(
        `request('${namespace}', '${name}'): the mesh is ${state}; call start() first`,
      );
    const found = plugins.find((p) => p.name === 'requestreply');
    if (!found) throw new MeshStateError(`request(): no RequestReply plugin runs in this mesh`);
    // A lazy RequestReply plugin not loaded means the topology has no RequestReply: not found,
    // as the loaded plugin answers for an unknown name.
    const rr = loadedPlugin(found) as RequestReplyPlugin | undefined;
    if (!rr)
      throw new EventRejectedError(
        404,
        `RequestReply '${namespace}/${name}' not found`,
        1,
        address,
      );
    if (!rr.request)
      throw new MeshStateError(`request(): no RequestReply plugin runs in this mesh`);
    const ce = isCloudEvent(event) ? event : buildEvent(event, options.source ?? '/tributary/mesh');
    const r = await rr.request(namespace, name, ce, {
      ...(o.timeout === undefined ? {} : { timeoutMs: o.timeout }),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (r.status === 200 && 'event' in r) return r.event;
    const error = 'error' in r ? r.error : '';
    if (r.status === 504) throw new ReplyTimeoutError(address, o.timeout ?? 0, error);
    throw new EventRejectedError(r.status, error, 1, address);
  }

  function cleanup(): void {
    dataStore?.close();
    dataStore = undefined;
    handlers.clear();
  }

  async function reload(resources?: readonly unknown[]): Promise<ApplyReport> {
    if (!runtime || state !== 'running')
      throw new MeshStateError(`reload(): the mesh is ${state}; call start() first`);
    const loaded = await load(resources ? { resources } : input, kinds);
    if (loaded.problems.length > 0) throw new ConfigError(loaded.problems);
    noteSecrets(loaded.topology);
    const extra = hidden.length ? loadResources(hidden, { kinds }).topology.resources : [];
    const next = extra.length
      ? createTopology([...loaded.topology.resources, ...extra], kinds)
      : loaded.topology;
    const report = await runtime.apply(next, { drainMs: options.drainMs ?? 10_000 });
    topology = loaded.topology;
    return report;
  }

  return {
    get topology() {
      return topology;
    },
    get url() {
      return runtime?.url ?? '';
    },
    get statuses() {
      return runtime?.statuses;
    },
    async start() {
      if (state !== 'created')
        throw new MeshStateError(`start(): the mesh is ${state}; create a new mesh to start again`);
      state = 'starting';
      const extra = hidden.length ? loadResources(hidden, { kinds }).topology.resources : [];
      let backends = options.backends ?? defaultBackends();
      let durableParts: DurableRuntimeParts = {};
      if (options.dataDir !== undefined) {
        try {
          const durable = await openDurableBackend(options.dataDir, options.durability, logger);
          dataStore = durable.store;
          backends = backends.register(durable.provider);
          durableParts = durable.runtimeParts;
        } catch (err) {
          state = 'stopped';
          cleanup();
          throw err;
        }
      }
      runtime = createRuntime({
        topology: extra.length
          ? createTopology([...topology.resources, ...extra], kinds)
          : topology,
        logger,
        host: options.host ?? '127.0.0.1',
        port: options.port ?? 0,
        plugins: options.plugins ? [...options.plugins, subscribers] : createPlugins(),
        ...(options.plugins ? {} : { createPlugins }),
        backends,
        ...durableParts,
        security: hooks,
        scrub: (text) => scrubber.scrub(text),
        ...(sec.tls ? { tls: sec.tls } : {}),
        ...(sec.admin ? { admin: sec.admin } : {}),
        ...(sec.limits ? { limits: sec.limits } : {}),
      });
      try {
        const url = await runtime.start();
        // stop() may have run while starting (state is then 'stopped').
        const now = state as typeof state | 'stopped';
        if (now === 'starting') state = 'running';
        return url;
      } catch (err) {
        if ((state as typeof state | 'stopped') === 'stopped') throw err; // stop() cleans up
        state = 'stopped';
        await runtime.stop({ drainMs: 0 }).catch(() => undefined);
        cleanup();
        throw err;
      }
    },
    async stop({ drainMs = options.drainMs ?? 10_000 } = {}) {
      if (state === 'stopped') return;
      const wasRunning = runtime !== undefined;
      state = 'stopped';
      try {
        if (wasRunning) await runtime!.stop({ drainMs });
      } finally {
        cleanup();
      }
    },
    publish,
    request,
    reload,
    subscribe: subscribe as Mesh['subscribe'],
  };
}

function isCloudEvent(e: CloudEvent | EventInput): e is CloudEvent {
  const a = (e as { attributes?: unknown }).attributes;
  return typeof a === 'object' && a !== null && !('type' in e);
}
