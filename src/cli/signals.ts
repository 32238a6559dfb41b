/** ShutdownReport says, in a command's own voice, that a signal is stopping it and that stopping failed. */
export interface ShutdownReport {
  stopping(signal: NodeJS.Signals): void;
  failed(err: unknown): void;
}

/**
 * stopOnSignal resolves with the exit code once SIGTERM or SIGINT has stopped a running server: 0,
 * or 1 when its stop failed. Every server command (serve, witness) stops this one way.
 */
export function stopOnSignal(running: { stop: () => Promise<void> }, report: ShutdownReport): Promise<number> {
  return new Promise<number>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      report.stopping(sig);
      running.stop().then(
        () => resolve(0),
        (e) => {
          report.failed(e);
          resolve(1);
        },
      );
    };
    // A second signal during shutdown gets the default action (exit at once): the way out when
    // draining hangs.
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
