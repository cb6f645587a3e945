/**
 * A process and its descendants, read from /proc (Linux only; elsewhere a process has no
 * known children). Used to measure a sandbox's memory as a whole (bubblewrap puts two small
 * processes between the grader and the learner's Node) and to end everything a run started.
 */
import { readdirSync, readFileSync } from "node:fs";

const PAGE_BYTES = 4096;

/** Direct children of `pid`, from every thread's `children` list. */
export function childPids(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const task of tasks) {
    try {
      for (const word of readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").split(" ")) if (word.trim()) children.push(Number(word));
    } catch {
      /* the thread ended while we looked */
    }
  }
  return children;
}

/** All descendants of `pid`, parents before their children. */
export function descendantPids(pid: number): number[] {
  const out: number[] = [];
  const queue = childPids(pid);
  while (queue.length) {
    const next = queue.shift()!;
    out.push(next);
    queue.push(...childPids(next));
  }
  return out;
}

/** Resident memory of these processes together, in bytes (those that are gone count 0). */
export function residentBytes(pids: number[]): number {
  let total = 0;
  for (const p of pids) {
    try {
      total += Number(readFileSync(`/proc/${p}/statm`, "utf8").split(" ")[1]) * PAGE_BYTES;
    } catch {
      /* ended */
    }
  }
  return total;
}

/** Send `signal` to every descendant of `pid` (parents first, so none can start new ones). */
export function signalDescendants(pid: number = process.pid, signal: NodeJS.Signals = "SIGKILL"): number[] {
  const pids = descendantPids(pid);
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      /* already gone */
    }
  }
  return pids;
}

/** The kernel's start time of a process (clock ticks since boot), to tell a live pid from a reused one. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Tasks (threads) now running under real uid `uid`, the count RLIMIT_NPROC is checked against. */
export function tasksOfUser(uid: number): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      const real = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      if (Number(real) === uid) total += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
    } catch {
      /* ended */
    }
  }
  return total;
}
