/** A progress bar on a terminal (stderr), and silence elsewhere (CI logs, pipes). */
import { SingleBar, Presets } from "cli-progress";

export interface Progress {
  tick(label?: string): void;
  stop(): void;
}

export function createProgress(total: number, what: string, enabled = process.stderr.isTTY === true): Progress {
  if (!enabled || total <= 0) return { tick: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    { format: `${what} [{bar}] {value}/{total} | {eta_formatted} left | {label}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
    Presets.shades_classic,
  );
  bar.start(total, 0, { label: "" });
  return {
    tick: (label = "") => bar.increment(1, { label }),
    stop: () => bar.stop(),
  };
}
