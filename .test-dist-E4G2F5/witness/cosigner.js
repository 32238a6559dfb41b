import { appendSignatures, cosignatureTimestamp, openNote, parseSignatureLine, splitNote } from '../note/index.js';
import { formatAddCheckpoint, parseSizeBody } from './protocol.js';
/** MAX_RESPONSE_CHARS bounds an add-checkpoint response: a few signature lines, not megabytes. */
const MAX_RESPONSE_CHARS = 64 * 1024;
function bodyText(note) {
    return splitNote(note).text;
}
export class Cosigner {
    log;
    states;
    quorum;
    /** The largest tree size checkpointNote has handed out. */
    servedSize = 0;
    pollMs;
    timeoutMs;
    retryMs;
    maxRetryMs;
    fetch;
    report;
    onCosigned;
    abort = new AbortController();
    timer;
    published;
    lastNote = '';
    lastText = '';
    constructor(cfg) {
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
        this.onCosigned = cfg.onCosigned ?? (() => { });
        this.report = cfg.report ?? ((level, m) => (level === 'info' ? console.log : console.error)(`cairn: ${m}`));
        const stored = new Map(this.log.cosignatures().map((c) => [c.witness, c]));
        this.states = cfg.witnesses.map((w) => {
            const row = stored.get(w.vkey);
            return { w, size: row?.size ?? 0, text: row?.checkpoint, lines: row?.lines, failures: 0, retryAt: 0 };
        });
        for (const s of this.states) {
            if (s.text === undefined)
                continue;
            this.maybePublish(s.text, s.size);
            this.noteTimes(s);
        }
    }
    /** start polls the log and submits each new checkpoint; the timer does not keep the process alive. */
    start() {
        if (this.timer || this.abort.signal.aborted)
            return;
        this.timer = setInterval(() => this.tick(), this.pollMs);
        this.timer.unref();
        this.tick();
    }
    /** stop ends polling, aborts requests in flight and waits for them to settle. */
    async stop() {
        if (this.timer)
            clearInterval(this.timer);
        this.timer = undefined;
        this.abort.abort();
        await Promise.all(this.states.map((s) => s.inFlight));
    }
    /** sync submits the latest checkpoint to every witness that lacks it (backoff permitting) and waits for the answers. */
    async sync() {
        this.tick();
        await Promise.all(this.states.map((s) => s.inFlight));
    }
    status() {
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
    checkpointNote = (cp) => {
        const text = this.textOf(cp.c2sp);
        const lines = this.states.filter((s) => s.text === text).map((s) => s.lines);
        // Never serve a smaller tree than one already served: a quorum that arrives late for an older
        // checkpoint must not look like a rollback to monitors.
        if (lines.length >= this.quorum || !this.published || this.published.size > cp.size || this.published.size < this.servedSize) {
            this.servedSize = Math.max(this.servedSize, cp.size);
            return lines.length > 0 ? appendSignatures(cp.c2sp, lines.join('')) : cp.c2sp;
        }
        this.servedSize = Math.max(this.servedSize, this.published.size);
        return this.published.note;
    };
    textOf(note) {
        if (note !== this.lastNote) {
            this.lastText = bodyText(note);
            this.lastNote = note;
        }
        return this.lastText;
    }
    tick() {
        if (this.abort.signal.aborted)
            return;
        if (this.log.closed) {
            void this.stop(); // the log closed under us
            return;
        }
        let cp;
        try {
            cp = this.log.latest();
        }
        catch {
            return; // log closing
        }
        const text = this.textOf(cp.c2sp);
        const now = Date.now();
        for (const s of this.states) {
            if (s.inFlight || (s.text === text && s.signedAt === cp.signedAt) || now < s.retryAt)
                continue;
            s.inFlight = this.submit(s, cp, text).finally(() => (s.inFlight = undefined));
        }
    }
    async submit(s, cp, text) {
        try {
            await this.addCheckpoint(s, cp, text);
            s.failures = 0;
            s.retryAt = 0;
            s.lastError = undefined;
        }
        catch (e) {
            if (this.abort.signal.aborted)
                return;
            s.failures++;
            s.retryAt = Date.now() + Math.min(this.maxRetryMs, this.retryMs * 2 ** (s.failures - 1));
            s.lastError = e.message;
            this.report('warn', `witness ${s.w.name}: cosigning size ${cp.size} failed: ${s.lastError}`);
        }
    }
    /** addCheckpoint runs one add-checkpoint exchange, retrying once with the size a 409 names. */
    async addCheckpoint(s, cp, text) {
        let old = s.size;
        for (let attempt = 0;; attempt++) {
            if (old > cp.size) {
                // The witness holds a larger tree for this origin than the log has: a rollback of this
                // log's database or another log signing with its key. Nothing to send; someone must look.
                this.report('error', `witness ${s.w.name} has cosigned size ${old} of this log, larger than its size ${cp.size}`);
                throw new Error(`witness is at size ${old}, beyond the log's ${cp.size}`);
            }
            const body = formatAddCheckpoint(old, this.log.consistencyProof(old, cp.size), cp.c2sp);
            const res = await this.fetch(`${s.w.url}/add-checkpoint`, {
                method: 'POST',
                body,
                headers: { 'Content-Type': 'text/plain; charset=utf-8' },
                signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]),
            });
            const answer = await res.text();
            if (answer.length > MAX_RESPONSE_CHARS)
                throw new Error(`response of ${answer.length} characters`);
            if (res.status === 200)
                return await this.accept(s, cp, text, answer);
            if (res.status === 409 && attempt === 0) {
                const size = parseSizeBody(answer);
                if (size === undefined)
                    throw new Error(`409 without a tree size: ${JSON.stringify(answer.slice(0, 100))}`);
                old = s.size = size;
                continue;
            }
            if (res.status === 422)
                this.report('error', `witness ${s.w.name} finds size ${cp.size} inconsistent with what it cosigned (size ${old})`);
            throw new Error(`HTTP ${res.status}: ${answer.slice(0, 200).trim()}`);
        }
    }
    /** accept verifies the witness's answer against its key and cp's body, then records it (durably, first). */
    async accept(s, cp, text, answer) {
        // The response is signature lines for cp: appended to cp's note, the note verifier checks each
        // line by this witness's name and key ID (others are ignored) and needs at least one to verify.
        const opened = openNote(appendSignatures(cp.c2sp, answer), [s.w.verifier]);
        if (opened.verified.some((sig) => cosignatureTimestamp(sig.signature) === 0))
            throw new Error('cosignature has a zero timestamp');
        const lines = opened.verified.map((sig) => sig.line + '\n').join('');
        await this.log.saveCosignature({ witness: s.w.vkey, size: cp.size, checkpoint: text, lines });
        Object.assign(s, { size: cp.size, text, lines, signedAt: cp.signedAt });
        this.report('info', `witness ${s.w.name} cosigned size ${cp.size}`);
        this.noteTimes(s);
        this.maybePublish(text, cp.size, cp.c2sp);
    }
    noteTimes(s) {
        for (const line of s.lines.split('\n').filter(Boolean)) {
            this.onCosigned(s.w.name, cosignatureTimestamp(parseSignatureLine(line).signature));
        }
    }
    /** maybePublish makes text the served checkpoint if it is the newest with a quorum of cosignatures. */
    maybePublish(text, size, note) {
        const signed = this.states.filter((s) => s.text === text);
        if (signed.length < this.quorum || signed.length === 0 || (this.published && this.published.size > size))
            return;
        const base = note ?? this.log.checkpointAt(size)?.c2sp;
        if (base === undefined || bodyText(base) !== text)
            return;
        this.published = { size, note: appendSignatures(base, signed.map((s) => s.lines).join('')) };
    }
}
