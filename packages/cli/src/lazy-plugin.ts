/**
 * Plugins whose code loads only when a topology needs them (docs/embedding.md, "Wiring"): a
 * package describes its plugin with the kinds that activate it and a `load` that imports the
 * plugin's module; {@link lazyPlugin} wraps that in a RuntimePlugin that imports and creates the
 * real plugin in `register` when the topology has one of those kinds (at start, and on a reload
 * that adds one), and otherwise does nothing. A memory broker with Triggers so loads none of the
 * flows, sources, serving, transforms or Kafka/RabbitMQ/Redis source plugins.
 */
import type { PluginContext, RuntimePlugin } from '@tributary/broker';

/** A plugin as a package describes it: its name, the kinds that need it, and how to load it. */
export interface PluginDescriptor {
  readonly name: string;
  /** Kind names whose presence in a topology needs the plugin. */
  readonly activatedBy: readonly string[];
  /** Imports the plugin's code and creates one instance (one per plugin generation). */
  load(): Promise<RuntimePlugin>;
}

/** A RuntimePlugin standing for a descriptor's plugin; `loaded` is the real one once created. */
export interface LazyPlugin extends RuntimePlugin {
  readonly loaded: RuntimePlugin | undefined;
}

/** Whether a plugin would act on `topology` (it has one of the activating kinds). */
export function activates(descriptor: PluginDescriptor, ctx: Pick<PluginContext, 'topology'>) {
  return descriptor.activatedBy.some((k) => ctx.topology.byKind(k).length > 0);
}

/**
 * Wraps a descriptor: the real plugin is created in `register` when `always` is set or the
 * topology activates it; once created, the wrapper delegates every call to it (a later
 * generation of the same wrapper keeps it, as a restarted plugin would).
 */
export function lazyPlugin(descriptor: PluginDescriptor, always = false): LazyPlugin {
  let real: RuntimePlugin | undefined;
  return {
    name: descriptor.name,
    get loaded() {
      return real;
    },
    async register(ctx) {
      if (!real) {
        if (!always && !activates(descriptor, ctx)) return;
        real = await descriptor.load();
      }
      await real.register?.(ctx);
    },
    async start(ctx) {
      await real?.start?.(ctx);
    },
    async stop(options) {
      await real?.stop?.(options);
    },
  };
}
