/** ShutdownReport says, in a command's own voice, that a signal is stopping it and that stopping failed. */
export interface ShutdownReport {
  stopping(signal: NodeJS.Signals): void;
  failed(err: unknown): void;
}

/**
 * stopOnSignal resolves with the exit code once SIGTERM or SIGINT has stopped a running server: 0,
 * or 1 when its stop failed. Every server command (serve, witness) stops this one way.
 */
export function stopOnSignal(running: { stop: () => Promise<void> }, report: ShutdownReport, latch?: SignalLatch): Promise<number> {
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
    const early = latch?.release();
    if (early) onSignal(early);
  });
}

/**
 * SignalLatch closes the gap between a server announcing that it listens and stopOnSignal taking
 * the signals: a supervisor (or a test) that sends SIGTERM as soon as it reads the announcement
 * would otherwise find no handler yet and kill the process outright, skipping the drain. arm()
 * right before the announcement starts recording; release() stops and returns what came.
 * Before arm() (opening the log, a long migration) the signals keep their default action.
 */
export class SignalLatch {
  private got?: NodeJS.Signals;
  private readonly record = (sig: NodeJS.Signals) => (this.got ??= sig);

  arm(): void {
    process.on('SIGTERM', this.record);
    process.on('SIGINT', this.record);
  }

  release(): NodeJS.Signals | undefined {
    process.off('SIGTERM', this.record);
    process.off('SIGINT', this.record);
    return this.got;
  }
}
