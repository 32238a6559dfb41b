/**
 * The messages between the primary of `cairn serve --workers` and its HTTP workers, over the
 * cluster's IPC channel (advanced serialization: byte arrays go as they are). Either side asks
 * (Ask) and the other answers (Answer) under the asker's id; errors cross as their code, message
 * and details, so a CairnError the primary's log threw is the same CairnError in the worker.
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

type Send = (m: Ask | Answer) => boolean;

/**
 * Channel is one end of the IPC link: ask() sends a question and resolves with its answer,
 * serve() answers the other side's questions. Questions still open when the link closes (close())
 * fail with UNAVAILABLE.
 */
export class Channel<Out extends object, In extends object> {
  private nextId = 0;
  private readonly open = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout }>();
  private closed = false;

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
      let sent = false;
      try {
        sent = this.send({ cairn: 'ask', id, what, arg });
      } catch {
        // the channel is closed: failed below
      }
      if (!sent && this.open.delete(id)) {
        clearTimeout(q.timer);
        reject(new CairnError('UNAVAILABLE', 'the log process is not reachable'));
      }
    });
  }

  /** receive handles one message from the other side; false if it is not one of this link's. */
  receive(m: unknown): boolean {
    const msg = m as (Partial<Omit<Ask, 'cairn'> & Omit<Answer, 'cairn'>> & { cairn?: string }) | null;
    if (msg?.cairn === 'answer') {
      const q = this.open.get(msg.id!);
      if (!q) return true; // timed out meanwhile
      this.open.delete(msg.id!);
      clearTimeout(q.timer);
      if (msg.error) q.reject(toError(msg.error));
      else q.resolve(msg.value);
      return true;
    }
    if (msg?.cairn !== 'ask') return false;
    const id = msg.id!;
    const handler = this.handlers[msg.what as keyof In];
    const reply = (a: Answer) => {
      try {
        this.send(a);
      } catch {
        // the asker is gone: nobody to tell
      }
    };
    (handler ? handler(msg.arg as In[keyof In]) : Promise.reject(new Error(`unknown question ${String(msg.what)}`))).then(
      (value) => reply({ cairn: 'answer', id, value }),
      (e: unknown) => reply({ cairn: 'answer', id, error: fromError(e) }),
    );
    return true;
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
