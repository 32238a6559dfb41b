/**
 * The messages between the primary of `cairn serve --workers` and its HTTP workers, over the
 * cluster's IPC channel (advanced serialization: byte arrays go as they are). Either side asks
 * (Ask) and the other answers (Answer) under the asker's id; errors cross as their code, message
 * and details, so a CairnError the primary's log threw is the same CairnError in the worker.
 * What one turn of the event loop sends goes as one message (an array): a batch's receipts, or
 * the uploads a worker admitted meanwhile, cost one write and one read of the channel.
 */
import { CairnError, type ErrorCode } from '../errors.js';

/** What a worker asks the primary: append an admitted entry (Log.append's submission). */
export interface WorkerAsks {
  append: { body: Uint8Array; kind: string; indexKeys: string[]; signEntryTimestamp?: boolean };
}

/** What the primary asks a worker: its readiness, its metrics. */
export interface PrimaryAsks {
  ready: null;
  metrics: null;
}

export interface Ask<W extends string = string> {
  cairn: 'ask';
  id: number;
  what: W;
  arg: unknown;
}

export interface Answer {
  cairn: 'answer';
  id: number;
  value?: unknown;
  error?: { code?: string; message: string; details?: Record<string, unknown> };
}

/** The primary tells a worker to stop (finish its requests, close, exit 0). */
export interface Stop {
  type: 'stop';
}

/** Send sends a batch and calls done once it is written, or with the error that kept it from being sent (the channel closed). */
type Send = (batch: (Ask | Answer)[], done: (err: Error | null) => void) => void;

/**
 * Channel is one end of the IPC link: ask() sends a question and resolves with its answer,
 * serve() answers the other side's questions. Questions still open when the link closes (close())
 * fail with UNAVAILABLE.
 */
export class Channel<Out extends object, In extends object> {
  private nextId = 0;
  private readonly open = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout }>();
  private closed = false;
  private out: (Ask | Answer)[] = [];

  constructor(
    private readonly send: Send,
    private readonly handlers: { [K in keyof In]: (arg: In[K]) => Promise<unknown> },
  ) {}

  /** ask sends a question; timeoutMs (optional) fails it with UNAVAILABLE if no answer comes in time. */
  ask<K extends keyof Out & string>(what: K, arg: Out[K], timeoutMs?: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new CairnError('UNAVAILABLE', 'the log process is not reachable'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const q: { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout } = { resolve, reject };
      if (timeoutMs !== undefined) {
        q.timer = setTimeout(() => {
          this.open.delete(id);
          reject(new CairnError('UNAVAILABLE', `no answer to ${what} in ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.open.set(id, q);
      this.post({ cairn: 'ask', id, what, arg });
    });
  }

  private post(m: Ask | Answer): void {
    this.out.push(m);
    if (this.out.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const batch = this.out;
    this.out = [];
    try {
      this.send(batch, (err) => err && this.undelivered(batch));
    } catch {
      this.undelivered(batch);
    }
  }

  /** undelivered fails the questions of a batch that did not go out; its answers have nobody left to tell. */
  private undelivered(batch: (Ask | Answer)[]): void {
    for (const m of batch) {
      const q = m.cairn === 'ask' ? this.open.get(m.id) : undefined;
      if (!q) continue;
      this.open.delete(m.id);
      clearTimeout(q.timer);
      q.reject(new CairnError('UNAVAILABLE', 'the log process is not reachable'));
    }
  }

  /** receive handles one message from the other side (a batch); false if it is not one of this link's. */
  receive(m: unknown): boolean {
    if (!Array.isArray(m)) return false;
    for (const one of m) this.handle(one);
    return true;
  }

  private handle(m: unknown): void {
    const msg = m as (Partial<Omit<Ask, 'cairn'> & Omit<Answer, 'cairn'>> & { cairn?: string }) | null;
    if (msg?.cairn === 'answer') {
      const q = this.open.get(msg.id!);
      if (!q) return; // timed out meanwhile
      this.open.delete(msg.id!);
      clearTimeout(q.timer);
      if (msg.error) q.reject(toError(msg.error));
      else q.resolve(msg.value);
      return;
    }
    if (msg?.cairn !== 'ask') return;
    const id = msg.id!;
    const handler = this.handlers[msg.what as keyof In];
    (handler ? handler(msg.arg as In[keyof In]) : Promise.reject(new Error(`unknown question ${String(msg.what)}`))).then(
      (value) => this.post({ cairn: 'answer', id, value }),
      (e: unknown) => this.post({ cairn: 'answer', id, error: fromError(e) }),
    );
  }

  /** close fails every open question: the other side is gone. */
  close(): void {
    this.closed = true;
    for (const [id, q] of this.open) {
      this.open.delete(id);
      clearTimeout(q.timer);
      q.reject(new CairnError('UNAVAILABLE', 'the log process is not reachable'));
    }
  }
}

function fromError(e: unknown): Answer['error'] {
  if (e instanceof CairnError) return { code: e.code, message: e.message, details: e.details };
  return { message: e instanceof Error ? e.message : String(e) };
}

function toError(e: NonNullable<Answer['error']>): Error {
  return e.code ? new CairnError(e.code as ErrorCode, e.message, e.details) : new Error(e.message);
}
