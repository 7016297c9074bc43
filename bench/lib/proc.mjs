// What the kernel says about a process: CPU seconds used (user + system, from /proc/<pid>/stat) and
// resident memory (VmRSS from /proc/<pid>/status). Linux only, like the machines the figures come from.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the process has used so far; NaN when it is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** Resident set size in MiB; NaN when the process is gone. */
export function rssMiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

/**
 * CPU µs per event between two cpuSeconds() readings (or any two CPU-second figures), to 0.1 µs;
 * null when either reading is missing (process unknown or gone) or no event was counted.
 */
export function cpuUsPerEvent(before, after, events) {
  return Number.isFinite(before) && Number.isFinite(after) && events > 0
    ? Number((((after - before) * 1e6) / events).toFixed(1))
    : null;
}
