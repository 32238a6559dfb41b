import { errorReply, writeReply } from './reply.js';
/** MIB is the default request body limit. */
export const MIB = 1024 * 1024;
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * WriteLimiter is a token bucket per client IP on writes. Reads are not limited: they are cheap
 * and cacheable, while every write costs a signature and a commit. The client is the socket's
 * peer address: behind a proxy all clients share its bucket. One instance serves the express
 * middleware and the fast upload path (fast.ts), so both spend from the same buckets.
 */
export class WriteLimiter {
    o;
    enabled;
    now;
    burst;
    maxClients;
    // Map order is recency order: a client is re-inserted on every write, so the first keys are the
    // longest idle, and trimming from the front bounds memory under a flood of addresses.
    buckets = new Map();
    constructor(o) {
        this.o = o;
        this.enabled = o.perSecond > 0;
        this.now = o.now ?? Date.now;
        this.burst = Math.max(1, o.burst);
        this.maxClients = o.maxClients ?? 100_000;
    }
    /** take spends one of client's write tokens: undefined when it had one, else why not. */
    take(client) {
        if (!this.enabled)
            return undefined;
        const t = this.now();
        const b = this.buckets.get(client) ?? { tokens: this.burst, at: t };
        this.buckets.delete(client);
        b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.o.perSecond);
        b.at = t;
        this.buckets.set(client, b);
        if (this.buckets.size > this.maxClients)
            this.buckets.delete(this.buckets.keys().next().value);
        if (b.tokens >= 1) {
            b.tokens -= 1;
            return undefined;
        }
        const wait = Math.max(1, Math.ceil((1 - b.tokens) / this.o.perSecond));
        return { retryAfter: wait, message: `too many writes from this client: the limit is ${this.o.perSecond}/s with bursts of ${this.burst}; retry in ${wait} s` };
    }
}
/** refusalReply is the answer to a write the limiter refused: 429 with Retry-After. */
export function refusalReply(r) {
    return errorReply(429, r.message, { 'Retry-After': String(r.retryAfter) });
}
/** clientOf is the rate limit's client key: the socket's peer address. */
export function clientOf(req) {
    return req.socket.remoteAddress ?? 'unknown';
}
/** writeRateLimit applies a WriteLimiter (or a new one from options) to every request but GET, HEAD, OPTIONS: 429 with Retry-After past it. */
export function writeRateLimit(o) {
    const limiter = o instanceof WriteLimiter ? o : new WriteLimiter(o);
    if (!limiter.enabled)
        return (_req, _res, next) => next();
    return (req, res, next) => {
        if (SAFE.has(req.method))
            return next();
        const refused = limiter.take(clientOf(req));
        if (!refused)
            return next();
        writeReply(res, refusalReply(refused));
    };
}
