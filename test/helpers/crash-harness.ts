// Crash-under-load harness shared by test/reliability/crash-http.test.ts and bench/soak.ts:
// run the real server, drive concurrent hashedrekord uploads over HTTP, SIGKILL it at a random
// moment, restart it on the same data and check, as an outside client, that nothing acknowledged
// was lost or changed and that the tree only ever grew (the checks are the Ledger's).
import { auditDatabase } from '../../src/log/index.js';
import { Ledger, type LedgerOptions, type LedgerReport } from './ledger.js';
import { startServer, type ServerProcess } from './server-process.js';

export const CRASH_ORIGIN = 'crash.cairn.test/log';

export interface CrashOptions extends LedgerOptions {
  dataDir: string;
  rounds: number;
  /** Concurrent uploading clients. */
  clients: number;
  /** The kill lands uniformly at random in [min, max] ms after the load starts. */
  killAfterMs: [number, number];
  heartbeat?: number;
  /** Extra server flags, e.g. ['--max-batch', '64']. */
  serverArgs?: string[];
}

export type CrashReport = LedgerReport;

/** CrashHarness runs rounds of load and SIGKILL against one server, checking each restart against all of history. */
export class CrashHarness {
  private readonly ledger: Ledger;
  private readonly random: () => number;
  readonly report: CrashReport;

  constructor(private readonly o: CrashOptions) {
    this.random = o.random ?? Math.random;
    this.ledger = new Ledger(CRASH_ORIGIN, o);
    this.report = this.ledger.report;
  }

  private start(): Promise<ServerProcess> {
    return startServer({ dataDir: this.o.dataDir, heartbeat: this.o.heartbeat ?? 1, args: ['--origin', CRASH_ORIGIN, ...(this.o.serverArgs ?? [])] });
  }

  /** run does every round, then one last restart and check; returns the report. */
  async run(): Promise<CrashReport> {
    for (let round = 0; round < this.o.rounds; round++) {
      const server = await this.start();
      try {
        if (round === 0) this.ledger.pem = await (await fetch(`${server.url}/api/v1/log/publicKey`)).text();
        else await this.ledger.verify(server.url, round);
        await this.load(server, round);
      } finally {
        await server.kill('SIGKILL');
      }
      this.report.rounds++;
      // verify-db on the data as the kill left it (before any restart touches it).
      const audit = auditDatabase(this.o.dataDir);
      if (audit.problem) this.ledger.fail(`round ${round}: verify-db: ${audit.problem}`);
    }
    const server = await this.start();
    try {
      await this.ledger.verify(server.url, this.o.rounds);
    } finally {
      await server.kill('SIGTERM');
    }
    return this.report;
  }

  /** load runs the clients until a SIGKILL at a random moment. */
  private async load(server: ServerProcess, round: number): Promise<void> {
    const stop = { v: false };
    const url = server.url;
    const before = this.report.acknowledged;
    const client = async () => {
      while (!stop.v) {
        const how = await this.ledger.upload(url, round);
        if (how === 'unanswered') return;
        if (how === 'refused') await new Promise((r) => setTimeout(r, 20));
      }
    };
    const poller = async () => {
      while (!stop.v && (await this.ledger.observe(url, `GET /api/v1/log in round ${round}`))) await new Promise((r) => setTimeout(r, 30));
    };
    const [lo, hi] = this.o.killAfterMs;
    const killAt = lo + this.random() * (hi - lo);
    // Every third round the uploads pause before the kill, long enough for heartbeats to re-sign
    // the idle checkpoint: the kill may then land on a re-signing, and the poller checks the
    // re-signed checkpoints keep their root.
    const idleMs = round % 3 === 2 ? 1200 + this.random() * 800 : 0;
    const clients = Array.from({ length: this.o.clients }, client);
    const polling = poller();
    await new Promise((r) => setTimeout(r, killAt));
    if (idleMs) {
      stop.v = true;
      await Promise.all(clients);
      stop.v = false;
      const idle = poller();
      await new Promise((r) => setTimeout(r, idleMs));
      stop.v = true;
      await server.kill('SIGKILL');
      await idle;
    } else {
      stop.v = true;
      await server.kill('SIGKILL');
    }
    await Promise.all([...clients, polling]);
    this.o.progress?.(`round ${round}: killed after ${Math.round(killAt)} ms${idleMs ? ` + ${Math.round(idleMs)} ms idle` : ''}, ${this.report.acknowledged - before} uploads acknowledged, ${this.report.unanswered} unanswered so far`);
  }
}
