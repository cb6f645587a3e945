/**
 * One writer per results folder: a lock file (`<out>/.tsnb/lock`) names the run that holds it
 * (host, pid and the kernel's start time of that pid). A second run on the same folder is
 * refused while the holder lives; a lock left by a run that was killed is detected (its pid is
 * gone, or now belongs to another process) and taken over.
 */
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { processStartTime } from "../process/tree";
import { STATE_DIR } from "./state";

interface LockRecord {
  pid: number;
  host: string;
  /** /proc start time of `pid`, so that a reused pid is not mistaken for the holder. */
  startTime?: string;
  started: string;
  command: string;
}

export class LockHeld extends Error {}

export interface RunLock {
  file: string;
  /** The stale lock this run took over, if any. */
  tookOver?: { pid: number; host: string; started: string };
  release(): void;
}

function readRecord(file: string): LockRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as LockRecord;
  } catch {
    return undefined;
  }
}

function isAlive(record: LockRecord): boolean {
  if (record.host !== os.hostname()) return true; // cannot tell: assume it runs
  try {
    process.kill(record.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return record.startTime === undefined || processStartTime(record.pid) === record.startTime;
}

function sameHolder(a: LockRecord | undefined, b: LockRecord): boolean {
  return !!a && a.pid === b.pid && a.host === b.host && a.startTime === b.startTime;
}

/** Take the lock of `outDir` for this process, or throw LockHeld with a message for people. */
export function acquireRunLock(outDir: string, command: string): RunLock {
  const dir = path.join(outDir, STATE_DIR);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "lock");
  const mine: LockRecord = { pid: process.pid, host: os.hostname(), startTime: processStartTime(process.pid), started: new Date().toISOString(), command };
  // Written whole, then linked into place: the lock file is never seen half-written.
  const draft = path.join(dir, `lock.${process.pid}.draft`);
  writeFileSync(draft, JSON.stringify(mine) + "\n");
  let tookOver: RunLock["tookOver"];
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(draft, file);
        const release = () => {
          if (sameHolder(readRecord(file), mine)) rmSync(file, { force: true });
          process.off("exit", release);
        };
        process.on("exit", release);
        return { file, tookOver, release };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const holder = readRecord(file);
      if (holder && isAlive(holder)) {
        const where = holder.host === os.hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on ${holder.host}`;
        throw new LockHeld(
          `${outDir} is in use by another run (${where}, started ${holder.started}: ${holder.command}). ` +
            `Wait for it to finish or use another --out.` +
            (holder.host === os.hostname() ? "" : ` If that run is no longer running, delete ${file}.`),
        );
      }
      // Stale: move it aside (only one taker can), and make sure it was the stale one we read.
      const aside = `${file}.stale.${process.pid}`;
      try {
        renameSync(file, aside);
      } catch {
        continue;
      }
      const moved = readRecord(aside);
      if (holder && !sameHolder(moved, holder) && moved && isAlive(moved)) {
        // Another run took the lock between our read and our rename: give it back.
        try {
          linkSync(aside, file);
        } catch {
          /* a third run holds it now; ours will fail below */
        }
        rmSync(aside, { force: true });
        continue;
      }
      rmSync(aside, { force: true });
      if (holder) tookOver = { pid: holder.pid, host: holder.host, started: holder.started };
    }
    throw new LockHeld(`could not take the lock ${file}: other runs keep taking it; try again`);
  } finally {
    rmSync(draft, { force: true });
  }
}
