/**
 * Starts ContainerSources (docs/knative-behaviour.md §7.2): SinkBindings are resolved first, so a bound
 * ContainerSource's processes get the binding's K_SINK and K_CE_OVERRIDES; every container becomes
 * a supervised child process.
 */
import path from 'node:path';
import type { PluginContext } from '@tributary/broker';
import { type Destination, type Logger, type Sink, resolveSecretKeyRef } from '@tributary/core';
import type { SinkBinding } from '../resources/container.js';
import { WEBHOOK_PREFIX } from '../webhooks/receiver.js';
import { bindingSubjects, containerEnv } from './container-env.js';
import { type SupervisedProcess, superviseProcess } from '@tributary/serving';

/** Relay route kinds under `/webhooks/<ns>/<kind>/<name>`. */
export const RELAY_KINDS = {
  containersources: 'ContainerSource',
  sinkbindings: 'SinkBinding',
} as const;

type SecretRef = { secretKeyRef: { name: string; key: string } };

/** What {@link startContainers} needs from the plugin. */
export interface ContainerDeps {
  /** Resolves a sink (reporting not Ready itself when it fails). */
  resolveSink(
    kind: string,
    ns: string,
    name: string,
    sink: Destination,
    logger: Logger,
  ): Promise<{ sink: Sink; url: string } | undefined>;
  /** Relay sinks by `<kind>/<ns>/<name>` (filled here). */
  readonly relays: Map<string, Sink>;
  /** Started processes (filled here). */
  readonly processes: SupervisedProcess[];
  readonly env: Readonly<Record<string, string | undefined>> | undefined;
}

export async function startContainers(ctx: PluginContext, deps: ContainerDeps): Promise<void> {
  const { relays, processes } = deps;
  const t = ctx.topology;
  const boundBy = new Map<string, SinkBinding & { url: string }>();
  for (const sb of t.byKind('SinkBinding')) {
    const { namespace, name } = sb.metadata;
    const logger = ctx.logger.child({ source: `SinkBinding/${namespace}/${name}` });
    const s = await deps.resolveSink('SinkBinding', namespace, name, sb.spec.sink, logger);
    if (!s) continue;
    const url = sinkUrl(ctx, 'sinkbindings', namespace, name, s.url);
    relays.set(`sinkbindings/${namespace}/${name}`, s.sink);
    const subjects = bindingSubjects(sb, t);
    if (subjects.length === 0) {
      ctx.statuses.set(
        'SinkBinding',
        namespace,
        name,
        false,
        'SubjectMissing',
        `no ContainerSource matches the subject in namespace '${sb.spec.subject.namespace ?? namespace}'`,
      );
      logger.warn({}, `SinkBinding ${namespace}/${name}: no subject matches`);
      continue;
    }
    for (const cs of subjects) {
      const key = `${cs.metadata.namespace}/${cs.metadata.name}`;
      if (boundBy.has(key))
        logger.warn(
          {},
          `ContainerSource ${key} is already bound by SinkBinding ${boundBy.get(key)!.metadata.name}; keeping that one`,
        );
      else boundBy.set(key, { ...sb, url });
    }
    ctx.statuses.set(
      'SinkBinding',
      namespace,
      name,
      true,
      'Bound',
      `K_SINK=${url} for ${subjects.map((c) => `ContainerSource/${c.metadata.name}`).join(', ')}`,
    );
  }
  for (const cs of t.byKind('ContainerSource')) {
    const { namespace, name } = cs.metadata;
    const logger = ctx.logger.child({ source: `ContainerSource/${namespace}/${name}` });
    const binding = boundBy.get(`${namespace}/${name}`);
    let url: string;
    let overrides = cs.spec.ceOverrides;
    if (binding) {
      url = binding.url;
      overrides = binding.spec.ceOverrides;
    } else {
      const s = await deps.resolveSink('ContainerSource', namespace, name, cs.spec.sink, logger);
      if (!s) continue;
      relays.set(`containersources/${namespace}/${name}`, s.sink);
      url = sinkUrl(ctx, 'containersources', namespace, name, s.url);
    }
    const baseDir = path.dirname(cs.source.file);
    try {
      const secret = (r: SecretRef) => resolveSecretKeyRef(t, namespace, r.secretKeyRef, deps.env);
      cs.spec.template.spec.containers.forEach((c, i) => {
        const label = `${namespace}/${name}/${c.name ?? i}`;
        if (c.image)
          logger.info(
            { container: label, image: c.image },
            `container ${label}: image '${c.image}' ignored; running command`,
          );
        const env = containerEnv(c, url, overrides, secret);
        processes.push(
          superviseProcess(
            {
              label,
              command: c.command,
              args: c.args,
              env,
              cwd: path.resolve(baseDir, c.workingDir ?? '.'),
            },
            logger,
          ),
        );
      });
      ctx.statuses.set(
        'ContainerSource',
        namespace,
        name,
        true,
        'Running',
        `${cs.spec.template.spec.containers.length} process(es), K_SINK=${url}`,
      );
    } catch (err) {
      ctx.statuses.set(
        'ContainerSource',
        namespace,
        name,
        false,
        'SecretMissing',
        (err as Error).message,
      );
      logger.error({}, `ContainerSource ${namespace}/${name}: ${(err as Error).message}`);
    }
  }
}

/** K_SINK: the sink's own HTTP URL when it has one, else the relay route on this server. */
function sinkUrl(
  ctx: PluginContext,
  kind: keyof typeof RELAY_KINDS,
  ns: string,
  name: string,
  targetUrl: string,
): string {
  return /^https?:\/\//.test(targetUrl)
    ? targetUrl
    : `${ctx.baseUrl}${WEBHOOK_PREFIX}${ns}/${kind}/${name}`;
}
