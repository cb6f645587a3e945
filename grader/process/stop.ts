/**
 * Stopping on request: Ctrl-C (SIGINT) or a batch system's SIGTERM runs `onStop` once, which
 * must finish synchronously (it ends the process). A second signal while it runs is ignored.
 */
export const STOP_EXIT_CODES: Record<"SIGINT" | "SIGTERM", number> = { SIGINT: 130, SIGTERM: 143 };

export function onStopSignal(onStop: (signal: "SIGINT" | "SIGTERM") => void): () => void {
  let stopping = false;
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const handler = () => {
      if (stopping) return;
      stopping = true;
      onStop(signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
