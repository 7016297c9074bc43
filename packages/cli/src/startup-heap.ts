/**
 * The heap during start. Loading the modules and manifests and starting the resources allocates
 * fast, and V8 answers by growing the heap; what it grew to stays committed while the process then
 * idles. `bin/tributary.js` holds both V8 generations tight before anything is imported
 * ({@link holdHeapForStartup}); `run` gives V8 its defaults back once the runtime has started
 * ({@link startupFinished}), so under load the heap grows as it would otherwise. Measured with the
 * bench's footprint method:
 *
 * - young generation (`--semi-space-growth-factor=1`: no new-space growth): ~7 MiB less idle RSS
 *   with one Trigger (75–77 → 69–70 MiB);
 * - old generation (`--heap-growing-percent=50`: the next full GC at 1.5 × the live heap instead of
 *   V8's up to 4 × while it is small): 10,000 Triggers add 66–67 MiB instead of 82–89, for no
 *   measurable start-up time (25 or 10 gave 65–66 MiB: what is left is live heap).
 *
 * A V8 code cache is accepted only under the flags it was made with, so bin/code-cache.js makes
 * the bundle's cache under these flags ({@link withStartupFlags}).
 */
import v8 from 'node:v8';

/** The V8 flags while starting. */
export const STARTUP_HEAP_FLAGS: readonly string[] = [
  '--semi-space-growth-factor=1',
  '--heap-growing-percent=50',
];

/** V8's defaults of the same flags (0: V8 chooses the growing factor itself). */
export const DEFAULT_HEAP_FLAGS: readonly string[] = [
  '--semi-space-growth-factor=2',
  '--heap-growing-percent=0',
];

const set = (flags: readonly string[]) => {
  for (const flag of flags) v8.setFlagsFromString(flag);
};

/** Holds the heap tight for start-up (bin/tributary.js, before anything else is imported). */
export function holdHeapForStartup(): void {
  set(STARTUP_HEAP_FLAGS);
}

/** Called by `run` once the runtime is listening and its resources are started. */
export function startupFinished(): void {
  set(DEFAULT_HEAP_FLAGS);
}

/** Runs `fn` under the start-up flags, then gives V8 its defaults back. */
export function withStartupFlags<T>(fn: () => T): T {
  set(STARTUP_HEAP_FLAGS);
  try {
    return fn();
  } finally {
    set(DEFAULT_HEAP_FLAGS);
  }
}
