/**
 * The in-process subscribers of a mesh (`Mesh.subscribe`): each is a hidden Trigger whose
 * subscriber ref names a `tributary.dev/v1alpha1` Function; this plugin makes those Functions
 * addressable in-process through `PluginContext.registerAddressable`, so the runtime's destination
 * resolver turns the ref into a function target exactly as for a Function with `spec.module`
 * (docs/embedding.md, "Subscribers"). No module files, no process-wide state: the handlers live in
 * the map the mesh owns.
 */
import { type RuntimePlugin, createFunctionTarget } from '@tributary/broker';
import type { Logger } from '@tributary/core';
import type { FunctionHandler } from '@tributary/function';

/** apiVersion of the Function kind the hidden Triggers refer to. */
export const FUNCTION_API_VERSION = 'tributary.dev/v1alpha1';

/**
 * A plugin registering, for every `<namespace>/<name>` in `handlers`, an in-process Function
 * target that calls the handler found there at delivery time (the mesh swaps in a no-op on
 * `unsubscribe()`, so later events are acknowledged without a call).
 */
export function meshSubscribersPlugin(
  handlers: ReadonlyMap<string, FunctionHandler>,
  logger: Logger,
): RuntimePlugin {
  return {
    name: 'mesh-subscribers',
    register(ctx) {
      for (const key of handlers.keys()) {
        const [namespace, name] = key.split('/') as [string, string];
        const target = createFunctionTarget(
          key,
          (event, context) => handlers.get(key)?.(event, context),
          { logger },
        );
        ctx.registerAddressable(FUNCTION_API_VERSION, 'Function', namespace, name, {
          target: () => target,
        });
      }
    },
  };
}
