import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { Readiness, createApp, type AppOptions, type ReadinessOptions } from '../../src/api/index.js';
import { Metrics } from '../../src/api/index.js';
import type { Log, LogConfig } from '../../src/log/index.js';
import { openTestLog } from '../helpers/test-log.js';

/** Ops is a test log wired the way serve() wires it: metrics and readiness fed by the log's hooks. */
export interface Ops {
  log: Log;
  metrics: Metrics;
  readiness: Readiness;
  app: ReturnType<typeof createApp>;
}

export function opsLog(cfg: Partial<LogConfig> = {}, app: Partial<AppOptions> = {}, ready: Partial<ReadinessOptions> = {}): Ops {
  const metrics = new Metrics({ processMetrics: false });
  const readiness = new Readiness(ready);
  const log = openTestLog({
    ...cfg,
    onBatch: (s) => {
      metrics.observeBatch(s);
      readiness.noteBatch();
    },
    onError: (e) => readiness.noteError(e),
    onSearch: (ms) => metrics.observeSearch(ms),
  });
  metrics.bindLog(log);
  return { log, metrics, readiness, app: createApp(log, { publicUrl: 'http://127.0.0.1', metrics, readiness, ...app }) };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** listen serves app on 127.0.0.1 port 0 until the test ends and returns its base URL. */
export async function listen(app: ReturnType<typeof createApp>): Promise<string> {
  const s = await new Promise<Server>((resolve) => {
    const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
  });
  servers.push(s);
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** metricValue returns the value of one sample in Prometheus text format, or undefined. */
export function metricValue(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    const key = line.slice(0, sp);
    if (key === name + (labels ? `{${labels}}` : '')) return Number(line.slice(sp + 1));
  }
  return undefined;
}

/**
 * blockSequencer stops the log's sequencer from taking turns (submissions queue but nothing is
 * integrated) and returns a function that resumes it. It reaches into a private method on purpose:
 * no public API should be able to stall the log.
 */
export function blockSequencer(log: Log): () => void {
  const seq = (log as unknown as { sequencer: { schedule: () => void; scheduled: boolean } }).sequencer;
  const original = seq.schedule;
  if (typeof original !== 'function') throw new Error('Sequencer.schedule is gone: update blockSequencer');
  seq.schedule = () => {};
  return () => {
    seq.schedule = original;
    seq.scheduled = false;
    original.call(seq);
  };
}
