import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of each of this process's threads, in nanoseconds, from /proc/self/task/<tid>/schedstat
 * (Linux only; empty elsewhere). The difference between two snapshots says which thread spent what.
 */
export function threadCpuNs(): Map<number, number> {
  const times = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return times;
  }
  for (const tid of tids) {
    try {
      times.set(Number(tid), Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return times;
}

/** CPU milliseconds per thread between two snapshots (threads started in between count from zero). */
export function threadCpuDeltaMs(before: Map<number, number>, after: Map<number, number>): Map<number, number> {
  const delta = new Map<number, number>();
  for (const [tid, ns] of after) delta.set(tid, (ns - (before.get(tid) ?? 0)) / 1e6);
  return delta;
}
