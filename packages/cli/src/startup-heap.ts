/**
 * The young generation during start. Loading the modules and manifests allocates fast, and V8
 * answers by doubling the new space at each scavenge; what it grew to stays committed while the
 * process then idles: ~7 MiB of idle resident memory for `tributary run` with one trigger
 * (75–77 MiB → 69–70 MiB, measured with the bench's footprint method). `bin/tributary.js` keeps the
 * new space from growing until the runtime has started; {@link startupFinished} gives V8 its
 * default growth back, so under load the new space grows as it would otherwise.
 */
import v8 from 'node:v8';

/** V8's default `--semi-space-growth-factor`. */
const DEFAULT_SEMI_SPACE_GROWTH_FACTOR = 2;

/** Called by `run` once the runtime is listening and its resources are started. */
export function startupFinished(): void {
  v8.setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_SEMI_SPACE_GROWTH_FACTOR}`);
}
