import { type FSWatcher, statSync, watch } from 'node:fs';
import path from 'node:path';
import { ConfigError, type Logger, formatProblem } from '@tributary/core';
import type { Mesh } from '../mesh.js';

/** Quiet time after the last file change before a reload. */
export const WATCH_DEBOUNCE_MS = 300;

/**
 * `tributary run --watch`: watches the manifest files and directories and applies every edit to
 * the running mesh (debounced). An invalid edit is refused with every problem logged; the running
 * configuration stays as it was. Returns a function that stops watching.
 */
export function watchManifests(
  mesh: Mesh,
  paths: readonly string[],
  logger: Logger,
  debounceMs = WATCH_DEBOUNCE_MS,
): () => void {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let stopped = false;

  async function reload(): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      const report = await mesh.reload();
      logger.info({ ...report }, 'manifests reloaded');
    } catch (err) {
      if (err instanceof ConfigError) {
        const problems = err.problems.map(formatProblem);
        logger.error(
          { problems },
          `edit refused: ${problems.length} problem(s); the running configuration is unchanged`,
        );
      } else logger.error({ err }, 'reload failed; the running configuration may be partial');
    } finally {
      running = false;
      if (again && !stopped) {
        again = false;
        void reload();
      }
    }
  }

  const changed = () => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), debounceMs);
  };

  for (const p of paths) {
    const abs = path.resolve(p);
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      // A file that is gone now may come back: watch its directory.
    }
    // Editors often replace a file (write + rename): watching the directory survives that.
    const dir = isDir ? abs : path.dirname(abs);
    const base = path.basename(abs);
    const w = watch(dir, { recursive: isDir }, (_event, file) => {
      if (isDir || file === null || file === base) changed();
    });
    w.on('error', (err) => logger.warn({ err, path: dir }, 'watching manifests failed'));
    watchers.push(w);
  }
  logger.info({ paths }, 'watching manifests for changes');
  return () => {
    stopped = true;
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
