import { write, writeSync } from 'node:fs';
/**
 * FdSink is the destination of the process's JSON log lines: lines are gathered and written to a
 * file descriptor in batches (at minLength bytes, or when flushed), asynchronously, so neither a
 * write(2) per line nor a slow reader holds up the event loop. Its one promise: a log that cannot
 * be written never stops the process. Once the reader has gone (EPIPE, or any other write error)
 * lines are dropped, and the exit-time flushSync writes what it can and returns. (pino's own
 * destination loops forever in flushSync on EPIPE: a server behind `| head` never exited.)
 */
export class FdSink {
    fd;
    minLength;
    pending = [];
    size = 0;
    writing = false;
    broken = false;
    waiters = [];
    constructor(fd, minLength) {
        this.fd = fd;
        this.minLength = minLength;
    }
    /** write queues one line (pino's stream interface). */
    write(line) {
        if (this.broken)
            return true;
        this.pending.push(line);
        this.size += line.length;
        if (this.size >= this.minLength)
            this.kick();
        return true;
    }
    /** flush writes everything queued; cb runs once it is written, or dropped because the reader is gone. */
    flush(cb) {
        this.kick();
        if (!cb)
            return;
        if (!this.writing)
            return cb();
        this.waiters.push(cb);
    }
    /** flushSync writes what is queued before the process exits: one try per chunk, no retry loop. */
    flushSync() {
        if (this.broken || this.size === 0)
            return;
        const data = this.take();
        let at = 0;
        let again = 0;
        while (at < data.length) {
            try {
                at += writeSync(this.fd, data, at);
            }
            catch (e) {
                // A full non-blocking pipe: give its reader a moment, a bounded number of times.
                if (e.code !== 'EAGAIN' || ++again > 100)
                    return;
                Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
            }
        }
    }
    take() {
        const data = Buffer.from(this.pending.join(''));
        this.pending = [];
        this.size = 0;
        return data;
    }
    kick() {
        if (this.writing || this.broken || this.size === 0)
            return;
        this.writing = true;
        this.send(this.take(), 0);
    }
    send(data, at) {
        write(this.fd, data, at, data.length - at, null, (err, n) => {
            if (err && err.code === 'EAGAIN')
                return void setTimeout(() => this.send(data, at), 10);
            if (err) {
                this.broken = true;
                this.pending = [];
                this.size = 0;
            }
            else if (at + n < data.length) {
                return this.send(data, at + n);
            }
            this.writing = false;
            if (this.size >= this.minLength)
                return this.kick();
            if (this.size > 0 && this.waiters.length > 0)
                return this.kick();
            for (const w of this.waiters.splice(0))
                w();
        });
    }
}
