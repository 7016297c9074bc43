/**
 * The data directory's LOCK file: names the process that owns the directory, so that a second
 * process can say who holds it. Ownership itself is the SQLite database's exclusive lock (released
 * by the kernel when the owner dies, even on kill -9); this file only carries the pid.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

export const LOCK_FILE = 'LOCK';

/** The pid recorded in `<dir>/LOCK`, or undefined when there is no readable one. */
export function readLockPid(dir: string): number | undefined {
  try {
    const first = readFileSync(path.join(dir, LOCK_FILE), 'utf8').split('\n')[0] ?? '';
    const pid = Number(first.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Records this process as the owner (pid on the first line, then host and start time). */
export function writeLockFile(dir: string): void {
  writeFileSync(
    path.join(dir, LOCK_FILE),
    `${process.pid}\n${hostname()}\n${new Date().toISOString()}\n`,
  );
}

/** Removes the LOCK file if it still names this process. */
export function removeLockFile(dir: string): void {
  if (readLockPid(dir) === process.pid) rmSync(path.join(dir, LOCK_FILE), { force: true });
}
