/**
 * Gives every Service in the manifests its address (docs/serving.md, "How a Service gets its
 * address"), in this order: the `tributary.dev/url` annotation; a Function of the same name; a
 * container `command` (local processes, scaled from zero); a built-in sample image; otherwise the
 * Service is not Ready and refs to it say how to give it an address. Kubernetes `v1` Services
 * only get the first two.
 */
import path from 'node:path';
import type { PluginContext } from '@tributary/broker';
import type { DeliveryTarget, SendOutcome } from '@tributary/broker';
import { type Loaded, type Logger, resolveSecretKeyRef } from '@tributary/core';
import type { ServingMetrics } from '../metrics.js';
import {
  type KnativeService,
  type KubernetesService,
  SERVING_V1,
  type ServingContainer,
  URL_ANNOTATION,
} from '../resources.js';
import { autoscaleConfig } from './autoscale-config.js';
import { RevisionPool } from './revision-pool.js';
import { SAMPLE_IMAGES, sampleImage } from './sample-images.js';

/** A command Service's pool, with its identity for metrics and status. */
export interface RunningPool {
  readonly namespace: string;
  readonly service: string;
  readonly pool: RevisionPool;
}

type AnyService = Loaded<KnativeService> | Loaded<KubernetesService>;

const noAddress = (kind: string, name: string) =>
  `${kind} has no address Tributary can deliver to: add the annotation ${URL_ANNOTATION} (its HTTP URL)` +
  (kind === 'Service (v1)' ? '' : ', a command in its container (run as local processes)') +
  `, or declare a tributary.dev/v1alpha1 Function named '${name}'`;

/** The container that serves: the one declaring ports, else the first. */
function servingContainer(svc: KnativeService): ServingContainer {
  const cs = svc.spec.template.spec.containers;
  return cs.find((c) => (c.ports?.length ?? 0) > 0) ?? cs[0]!;
}

/** A container's env: its values and secretKeyRefs (throws when a secret is missing). */
export function containerEnvValues(
  ctx: PluginContext,
  namespace: string,
  container: ServingContainer,
  env: Readonly<Record<string, string | undefined>> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of container.env ?? [])
    out[e.name] = e.valueFrom
      ? resolveSecretKeyRef(ctx.topology, namespace, e.valueFrom.secretKeyRef, env)
      : (e.value ?? '');
  return out;
}

function builtinTarget(
  url: string,
  handle: (e: Parameters<DeliveryTarget['send']>[0]) => SendOutcome,
) {
  const target: DeliveryTarget = {
    url,
    async send(event, options) {
      let out: SendOutcome;
      try {
        out = handle(event);
      } catch (err) {
        const body = new Uint8Array(Buffer.from((err as Error).message));
        out = { kind: 'response', status: 500, headers: {}, body };
      }
      if (out.kind === 'response' && out.reply && !options.expectReply)
        return { ...out, reply: undefined };
      return out;
    },
  };
  return target;
}

/**
 * Registers the address of every Service (call from the plugin's `register`) and reports its
 * status. Command Services get a {@link RevisionPool}, started later by the caller.
 */
export function registerServices(
  ctx: PluginContext,
  deps: {
    readonly env: Readonly<Record<string, string | undefined>> | undefined;
    readonly pools: RunningPool[];
    readonly metrics: ServingMetrics;
  },
): void {
  for (const svc of ctx.topology.byKind<AnyService>('Service')) {
    const { namespace, name, annotations } = svc.metadata;
    const logger = ctx.logger.child({ resource: `Service/${namespace}/${name}` });
    const ready = (reason: string, message: string) =>
      ctx.statuses.set('Service', namespace, name, true, reason, message);
    const url = annotations?.[URL_ANNOTATION];
    if (url !== undefined) {
      ctx.registerAddressable(svc.apiVersion, 'Service', namespace, name, { url });
      ready('Addressable', `${URL_ANNOTATION}: ${url}`);
      continue;
    }
    if (ctx.topology.get('Function', namespace, name)) {
      ready('FunctionAddress', `delivers to Function '${namespace}/${name}'`);
      continue;
    }
    if (svc.apiVersion !== SERVING_V1) {
      const message = noAddress('Service (v1)', name);
      ctx.statuses.set('Service', namespace, name, false, 'NoAddress', message);
      logger.warn({}, `Service ${namespace}/${name} (v1): ${message}`);
      continue;
    }
    const ksvc = svc as Loaded<KnativeService>;
    const container = servingContainer(ksvc);
    let env: Record<string, string>;
    try {
      env = containerEnvValues(ctx, namespace, container, deps.env);
    } catch (err) {
      const message = (err as Error).message;
      ctx.statuses.set('Service', namespace, name, false, 'SecretMissing', message);
      ctx.registerAddressable(SERVING_V1, 'Service', namespace, name, { error: message });
      continue;
    }
    if (container.command) {
      addCommandService(ctx, ksvc, container, env, logger, deps);
      continue;
    }
    const sample = container.image ? sampleImage(container.image) : undefined;
    if (sample) {
      const handle = sample.create(env, logger);
      const target = builtinTarget(`service://${namespace}/${name}`, handle);
      ctx.registerAddressable(SERVING_V1, 'Service', namespace, name, { target: () => target });
      ready('BuiltIn', `built-in equivalent of the sample image '${sample.name}' (in-process)`);
      continue;
    }
    const known = SAMPLE_IMAGES.map((s) => s.name).join(', ');
    const message = `${noAddress('Service', name)}; image '${container.image ?? '(none)'}' is not one of the built-in sample images (${known}) and Tributary runs no container images`;
    ctx.statuses.set('Service', namespace, name, false, 'NoAddress', message);
    ctx.registerAddressable(SERVING_V1, 'Service', namespace, name, { error: message });
    logger.warn({}, `Service ${namespace}/${name}: ${message}`);
  }
}

function addCommandService(
  ctx: PluginContext,
  svc: Loaded<KnativeService>,
  container: ServingContainer,
  env: Record<string, string>,
  logger: Logger,
  deps: { readonly pools: RunningPool[]; readonly metrics: ServingMetrics },
): void {
  const { namespace, name } = svc.metadata;
  const config = autoscaleConfig(svc);
  const label = `${namespace}/${name}`;
  const pool = new RevisionPool({
    label,
    namespace,
    config,
    command: container.command!,
    args: container.args,
    env: {
      ...env,
      K_SERVICE: name,
      K_CONFIGURATION: name,
      K_REVISION: `${name}-00001`,
    },
    cwd: path.resolve(path.dirname(svc.source.file), container.workingDir ?? '.'),
    agent: ctx.agent,
    logger,
    maxWaitMs: (svc.spec.template.spec.timeoutSeconds ?? 300) * 1000,
    observer: {
      scaled: (from, to) => deps.metrics.scaled(namespace, name, from, to),
      coldStart: (ms) => deps.metrics.coldStart(namespace, name, ms),
    },
  });
  deps.pools.push({ namespace, service: name, pool });
  ctx.registerAddressable(SERVING_V1, 'Service', namespace, name, {
    target: (uri) => pool.target(uri),
  });
  ctx.statuses.set(
    'Service',
    namespace,
    name,
    true,
    'Scaled',
    `command '${container.command!.join(' ')}': initial-scale ${config.initialScale}, ` +
      `min-scale ${config.minScale}, max-scale ${config.maxScale}, target ${config.target}, ` +
      `window ${config.windowMs / 1000}s`,
  );
}
