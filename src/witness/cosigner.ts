/**
 * Cosigner is the log's side of tlog-witness: it watches the log's latest checkpoint and asks each
 * configured witness to cosign it (add-checkpoint), with a consistency proof from the size that
 * witness last cosigned, and again whenever the log re-signs it (heartbeat) so cosignatures stay
 * fresh on an idle log. It runs beside the log, never in the sequencer's path: a slow or dead
 * witness delays only its own cosignature. Every request has a timeout; a failed witness is tried
 * again for a later checkpoint after a backoff. The latest cosignature of each witness is kept in
 * the log's storage (through the log's single writer), so a restart resumes from the witnesses' sizes.
 */
import { all, andThen, isPromise, type Awaitable, type Cosignature, type SignedCheckpoint } from '../log/index.js';
import { appendSignatures, cosignatureTimestamp, openNote, parseSignatureLine, splitNote } from '../note/index.js';
import type { WitnessEndpoint } from './config.js';
import { formatAddCheckpoint, parseSizeBody } from './protocol.js';

/** CosignerSource is what the cosigner needs from the log (Log satisfies it). */
export interface CosignerSource {
  /** True once the log is closing: the cosigner stops. */
  readonly closed: boolean;
  latest(): SignedCheckpoint;
  cosignatures(): Awaitable<Cosignature[]>;
  saveCosignature(c: Cosignature): Promise<void>;
  checkpointAt(size: number): Awaitable<SignedCheckpoint | undefined>;
  consistencyProof(m: number, n: number): Awaitable<Uint8Array[]>;
}

export type CosignerLevel = 'info' | 'warn' | 'error';

export interface CosignerConfig {
  log: CosignerSource;
  witnesses: readonly WitnessEndpoint[];
  /** quorum is how many witnesses must cosign a checkpoint before it is served; default all. */
  quorum?: number;
  /** pollMs is how often the log's latest checkpoint is looked at. */
  pollMs?: number;
  /** timeoutMs bounds each add-checkpoint request, response body included. */
  timeoutMs?: number;
  /** First retry delay after a failure; it doubles per failure up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  fetch?: typeof fetch;
  /** report hears about each cosignature and failure. */
  report?: (level: CosignerLevel, message: string) => void;
  /** onCosigned hears each witness's newest cosignature time (Unix seconds), stored ones included: the age metric. */
  onCosigned?: (witness: string, time: number) => void;
}

/** WitnessStatus is what the cosigner knows about one witness. */
export interface WitnessStatus {
  name: string;
  url: string;
  /** size is the witness's latest cosigned size for this log, as last learned. */
  size: number;
  /** cosignedSize is the size of the checkpoint whose cosignature the log holds, if any. */
  cosignedSize?: number;
  failures: number;
  lastError?: string;
}

interface State {
  w: WitnessEndpoint;
  size: number;
  /** text and lines: the checkpoint body the witness cosigned and its verified cosignature lines. */
  text?: string;
  lines?: string;
  /** signedAt of the log checkpoint last cosigned: a re-signed (heartbeat) checkpoint is sent again for a fresh timestamp. */
  signedAt?: number;
  inFlight?: Promise<void>;
  failures: number;
  retryAt: number;
  lastError?: string;
}

interface Published {
  size: number;
  note: string;
}

/** MAX_RESPONSE_CHARS bounds an add-checkpoint response: a few signature lines, not megabytes. */
const MAX_RESPONSE_CHARS = 64 * 1024;

function bodyText(note: string): string {
  return splitNote(note).text;
}

export class Cosigner {
  private readonly log: CosignerSource;
  private readonly states: State[];
  private readonly quorum: number;
  /** The largest tree size checkpointNote has handed out. */
  private servedSize = 0;
  private readonly pollMs: number;
  private readonly timeoutMs: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly fetch: typeof fetch;
  private readonly report: (level: CosignerLevel, message: string) => void;
  private readonly onCosigned: (witness: string, time: number) => void;
  private readonly abort = new AbortController();
  private timer?: NodeJS.Timeout;
  private published?: Published;
  private lastNote = '';
  private lastText = '';

  constructor(cfg: CosignerConfig) {
    this.log = cfg.log;
    this.quorum = cfg.quorum ?? cfg.witnesses.length;
    if (!Number.isInteger(this.quorum) || this.quorum < 0 || this.quorum > cfg.witnesses.length) {
      throw new Error(`cosigner: quorum ${this.quorum} is not between 0 and ${cfg.witnesses.length}`);
    }
    this.pollMs = cfg.pollMs ?? 250;
    this.timeoutMs = cfg.timeoutMs ?? 5000;
    this.retryMs = cfg.retryMs ?? 1000;
    this.maxRetryMs = cfg.maxRetryMs ?? 60_000;
    this.fetch = cfg.fetch ?? fetch;
    this.onCosigned = cfg.onCosigned ?? (() => {});
    this.report = cfg.report ?? ((level, m) => (level === 'info' ? console.log : console.error)(`cairn: ${m}`));
    this.states = cfg.witnesses.map((w) => ({ w, size: 0, failures: 0, retryAt: 0 }));
    // At once from a synchronous log; from an async one, polling waits until it is done.
    const restored = andThen(this.log.cosignatures(), (rows) => this.restore(rows));
    if (isPromise(restored)) {
      this.restoring = true;
      void restored.catch((e: unknown) => this.report('error', `cannot read stored cosignatures: ${(e as Error).message}`)).finally(() => (this.restoring = false));
    }
  }

  private restoring = false;

  /** restore takes up each witness's stored cosignature (what a restart must not lose). */
  private restore(rows: Cosignature[]): Awaitable<unknown> {
    const stored = new Map(rows.map((c) => [c.witness, c]));
    const published: Awaitable<void>[] = [];
    for (const s of this.states) {
      const row = stored.get(s.w.vkey);
      if (!row) continue;
      Object.assign(s, { size: row.size, text: row.checkpoint, lines: row.lines });
      published.push(this.maybePublish(row.checkpoint, row.size));
      this.noteTimes(s);
    }
    return all(published);
  }

  /** start polls the log and submits each new checkpoint; the timer does not keep the process alive. */
  start(): void {
    if (this.timer || this.abort.signal.aborted) return;
    this.timer = setInterval(() => this.tick(), this.pollMs);
    this.timer.unref();
    this.tick();
  }

  /** stop ends polling, aborts requests in flight and waits for them to settle. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await Promise.all(this.states.map((s) => s.inFlight));
  }

  /** sync submits the latest checkpoint to every witness that lacks it (backoff permitting) and waits for the answers. */
  async sync(): Promise<void> {
    this.tick();
    await Promise.all(this.states.map((s) => s.inFlight));
  }

  status(): WitnessStatus[] {
    return this.states.map((s) => ({
      name: s.w.name,
      url: s.w.url,
      size: s.size,
      cosignedSize: s.text === undefined ? undefined : Number(s.text.split('\n')[1]),
      failures: s.failures,
      lastError: s.lastError,
    }));
  }

  /**
   * checkpointNote is AppOptions.checkpointNote: cp's note with the cosignatures collected for its
   * body. If fewer than quorum witnesses have cosigned cp yet, the newest checkpoint that has a
   * quorum is served instead (logs keep serving tiles for every checkpoint size they signed); if
   * none has, or that one is smaller than a size already served, cp with what it has, so a log
   * without willing witnesses stays readable and the served size never goes down.
   */
  checkpointNote = (cp: SignedCheckpoint): string => {
    const text = this.textOf(cp.c2sp);
    const lines = this.states.filter((s) => s.text === text).map((s) => s.lines!);
    // Never serve a smaller tree than one already served: a quorum that arrives late for an older
    // checkpoint must not look like a rollback to monitors.
    if (lines.length >= this.quorum || !this.published || this.published.size > cp.size || this.published.size < this.servedSize) {
      this.servedSize = Math.max(this.servedSize, cp.size);
      return lines.length > 0 ? appendSignatures(cp.c2sp, lines.join('')) : cp.c2sp;
    }
    this.servedSize = Math.max(this.servedSize, this.published.size);
    return this.published.note;
  };

  private textOf(note: string): string {
    if (note !== this.lastNote) {
      this.lastText = bodyText(note);
      this.lastNote = note;
    }
    return this.lastText;
  }

  private tick(): void {
    if (this.abort.signal.aborted || this.restoring) return;
    if (this.log.closed) {
      void this.stop(); // the log closed under us
      return;
    }
    let cp: SignedCheckpoint;
    try {
      cp = this.log.latest();
    } catch {
      return; // log closing
    }
    const text = this.textOf(cp.c2sp);
    const now = Date.now();
    for (const s of this.states) {
      if (s.inFlight || (s.text === text && s.signedAt === cp.signedAt) || now < s.retryAt) continue;
      s.inFlight = this.submit(s, cp, text).finally(() => (s.inFlight = undefined));
    }
  }

  private async submit(s: State, cp: SignedCheckpoint, text: string): Promise<void> {
    try {
      await this.addCheckpoint(s, cp, text);
      s.failures = 0;
      s.retryAt = 0;
      s.lastError = undefined;
    } catch (e) {
      if (this.abort.signal.aborted) return;
      s.failures++;
      s.retryAt = Date.now() + Math.min(this.maxRetryMs, this.retryMs * 2 ** (s.failures - 1));
      s.lastError = (e as Error).message;
      this.report('warn', `witness ${s.w.name}: cosigning size ${cp.size} failed: ${s.lastError}`);
    }
  }

  /** addCheckpoint runs one add-checkpoint exchange, retrying once with the size a 409 names. */
  private async addCheckpoint(s: State, cp: SignedCheckpoint, text: string): Promise<void> {
    let old = s.size;
    for (let attempt = 0; ; attempt++) {
      if (old > cp.size) {
        // The witness holds a larger tree for this origin than the log has: a rollback of this
        // log's database or another log signing with its key. Nothing to send; someone must look.
        this.report('error', `witness ${s.w.name} has cosigned size ${old} of this log, larger than its size ${cp.size}`);
        throw new Error(`witness is at size ${old}, beyond the log's ${cp.size}`);
      }
      const body = formatAddCheckpoint(old, await this.log.consistencyProof(old, cp.size), cp.c2sp);
      const res = await this.fetch(`${s.w.url}/add-checkpoint`, {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]),
      });
      const answer = await res.text();
      if (answer.length > MAX_RESPONSE_CHARS) throw new Error(`response of ${answer.length} characters`);
      if (res.status === 200) return await this.accept(s, cp, text, answer);
      if (res.status === 409 && attempt === 0) {
        const size = parseSizeBody(answer);
        if (size === undefined) throw new Error(`409 without a tree size: ${JSON.stringify(answer.slice(0, 100))}`);
        old = s.size = size;
        continue;
      }
      if (res.status === 422) this.report('error', `witness ${s.w.name} finds size ${cp.size} inconsistent with what it cosigned (size ${old})`);
      throw new Error(`HTTP ${res.status}: ${answer.slice(0, 200).trim()}`);
    }
  }

  /** accept verifies the witness's answer against its key and cp's body, then records it (durably, first). */
  private async accept(s: State, cp: SignedCheckpoint, text: string, answer: string): Promise<void> {
    // The response is signature lines for cp: appended to cp's note, the note verifier checks each
    // line by this witness's name and key ID (others are ignored) and needs at least one to verify.
    const opened = openNote(appendSignatures(cp.c2sp, answer), [s.w.verifier]);
    if (opened.verified.some((sig) => cosignatureTimestamp(sig.signature) === 0)) throw new Error('cosignature has a zero timestamp');
    const lines = opened.verified.map((sig) => sig.line + '\n').join('');
    await this.log.saveCosignature({ witness: s.w.vkey, size: cp.size, checkpoint: text, lines });
    Object.assign(s, { size: cp.size, text, lines, signedAt: cp.signedAt });
    this.report('info', `witness ${s.w.name} cosigned size ${cp.size}`);
    this.noteTimes(s);
    await this.maybePublish(text, cp.size, cp.c2sp);
  }

  private noteTimes(s: State): void {
    for (const line of s.lines!.split('\n').filter(Boolean)) {
      this.onCosigned(s.w.name, cosignatureTimestamp(parseSignatureLine(line).signature));
    }
  }

  /** maybePublish makes text the served checkpoint if it is the newest with a quorum of cosignatures. */
  private maybePublish(text: string, size: number, note?: string): Awaitable<void> {
    const signed = this.states.filter((s) => s.text === text);
    if (signed.length < this.quorum || signed.length === 0 || (this.published && this.published.size > size)) return;
    return andThen(note ?? andThen(this.log.checkpointAt(size), (c) => c?.c2sp), (base) => {
      if (base === undefined || bodyText(base) !== text) return;
      this.published = { size, note: appendSignatures(base, signed.map((s) => s.lines!).join('')) };
    });
  }
}
