/**
 * One node of many serving one log from a shared database (PostgreSQL): every node admits
 * uploads into the shared queue and answers them (SharedSubmitter); whichever node holds the
 * sequencer's lead feeds the queue into its log (QueueFeeder); the others campaign for the lead
 * and follow the committed tree. The storage fences every commit (ElectedLogStorage), so this
 * file decides only when to try, when to feed and when to catch up; never what is safe to store.
 *
 * A term: campaign → won → wait for the previous term's batches on this node to settle, catch the
 * log up to the committed tree (the term began from it) → feed. Lost (connection gone, lease
 * lapsed) → stop feeding at once (in-flight batches fail at the fence, their rows stay queued) →
 * campaign again.
 */
import type { ElectedLogStorage, SharedQueue } from '../storage/index.js';
import type { AnyLog } from './log.js';
import { Log, type ServiceConfig } from './log.js';
import { QueueFeeder, SharedSubmitter } from './shared-queue.js';
import type { LogKey } from '../note/index.js';

/** NodeStorage is a driver many nodes open at once: elected sequencer plus shared queue. */
export type NodeStorage = ElectedLogStorage & SharedQueue;

export interface ElectedNodeOptions {
  /** Pause between attempts at the lead while another node holds it (ms, default 250). */
  campaignMs?: number;
  /** Catch-up poll of a node, besides the commit notices (ms, default 1000). */
  refreshMs?: number;
  /** Most queued entries the leader claims at once (default the log's batch size, 1024). */
  claim?: number;
  /** An upload waits this long for its batch before a 503 (it stays queued; default 30 s). */
  submitTimeoutMs?: number;
  /** Hears role changes: 'leader' once this node sequences, 'follower' with why it stopped. */
  onRole?: (role: 'leader' | 'follower', why?: string) => void;
  onError?: (e: unknown) => void;
}

export class ElectedNode {
  private sequencing = false;
  private stopped = false;
  private lostWake?: () => void;
  private readonly submitter: SharedSubmitter;
  private readonly feeder: QueueFeeder;
  private readonly poll: NodeJS.Timeout;
  private readonly loop: Promise<void>;

  private constructor(
    /** The node's log: reads on any node; appends go through the shared queue. */
    readonly log: AnyLog,
    private readonly storage: NodeStorage,
    private readonly o: ElectedNodeOptions,
  ) {
    this.submitter = new SharedSubmitter(log, storage, { timeoutMs: o.submitTimeoutMs, leading: () => this.role === 'leader' });
    log.routeAppends((sub) => this.submitter.submit(sub), () => this.role === 'leader');
    this.feeder = new QueueFeeder(log, storage, {
      claim: o.claim,
      leading: () => this.sequencing && storage.role === 'leader',
      onError: o.onError,
      onIntegrated: (r) => this.submitter.integrated(r),
    });
    // Commit notices wake waiting uploads (the submitter); this poll keeps an idle node's checkpoint
    // fresh (heartbeat re-signs notify nobody) and covers a lost notice.
    this.poll = setInterval(() => void this.catchUp(), o.refreshMs ?? 1000);
    this.poll.unref();
    this.loop = this.run();
  }

  /**
   * open runs a node on a driver already open as a follower: binding the identity (or, for a new
   * log, creating it, which waits for the lead), then campaigning in the background.
   */
  static async open(storage: NodeStorage, key: LogKey, cfg: ServiceConfig, o: ElectedNodeOptions = {}): Promise<ElectedNode> {
    if (!(await storage.identity())) {
      // Creating the log is the sequencer's write: whoever wins creates it; the others find it made.
      while (!(await storage.identity()) && !(await storage.campaign(o.campaignMs ?? 250)));
    }
    const log = await Log.openOn(storage, key, cfg);
    return new ElectedNode(log, storage, o);
  }

  /** role is 'leader' while this node sequences (its term holds and it has caught up), else 'follower'. */
  get role(): 'leader' | 'follower' {
    return this.sequencing && this.storage.role === 'leader' ? 'leader' : 'follower';
  }

  /** queueDepth returns how many uploads wait in the shared queue (every node's). */
  queueDepth(): Promise<number> {
    return this.storage.queueDepth();
  }

  private async run(): Promise<void> {
    const pause = this.o.campaignMs ?? 250;
    while (!this.stopped) {
      let won = false;
      try {
        won = await this.storage.campaign(0);
      } catch (e) {
        this.o.onError?.(e);
      }
      if (!won) {
        await this.sleep(pause);
        continue;
      }
      const lost = new Promise<string>((resolve) => this.storage.onLost(resolve));
      try {
        // Batches of an earlier term of this node fail at the fence; the tree to extend is the stored one.
        await this.log.idle();
        await this.log.refresh();
        if (this.storage.role !== 'leader' || this.stopped) continue;
        this.sequencing = true;
        this.o.onRole?.('leader');
        this.feeder.nudge();
        const why = await Promise.race([lost, new Promise<string>((r) => (this.lostWake = () => r('stopping')))]);
        // Stopping while leading: still the leader until the log's final checkpoint is signed (close).
        if (this.stopped && this.storage.role === 'leader') break;
        this.sequencing = false;
        if (!this.stopped) this.o.onRole?.('follower', why);
      } catch (e) {
        this.sequencing = false;
        this.o.onError?.(e);
      }
    }
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((r) => {
      this.lostWake = r;
      setTimeout(r, ms).unref();
    });
  }

  private async catchUp(): Promise<void> {
    if (this.sequencing) return;
    await this.log.refresh().catch(() => {}); // the next poll tries again
  }

  /**
   * close stops taking uploads, stops feeding (what is in hand is integrated), gives the lead up
   * at once and closes the log (the leader signs a final checkpoint first).
   */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.poll);
    this.lostWake?.();
    this.submitter.close();
    await this.feeder.stop();
    await this.loop;
    await this.log.close();
    this.sequencing = false;
  }
}
