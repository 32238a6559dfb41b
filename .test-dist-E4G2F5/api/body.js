import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { parseBody } from './admission.js';
// A refused request's remaining body is read and dropped for at most this long and this many
// bytes before the socket is cut. Closing with unread bytes in the socket makes the kernel send
// a reset, which can destroy the answer before the client reads it (curl saw a cut-off body, Node's
// fetch EPIPE). Rekor's own end-to-end test sends 33 MB and expects its 413: 64 MiB covers it.
const LINGER_MS = 10_000;
const LINGER_BYTES = 64 * 1024 * 1024;
/** BodyError is a refused body with the HTTP status it is answered with (errorStatus reads .status). */
export class BodyError extends Error {
    status;
    constructor(status, message) {
        super(message);
        this.status = status;
    }
}
/** hasBody reports whether a request carries a body: a non-zero Content-Length or any Transfer-Encoding. */
export function hasBody(req) {
    const h = req.headers;
    return h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0');
}
/**
 * refuse answers a request whose body will not be read: the whole JSON error `{code, message}`
 * with Connection: close, then the rest of the body is read and dropped (bounded, see LINGER_*)
 * so the client finishes sending and reads the answer, and only then is the connection closed.
 */
export function refuse(req, res, status, message) {
    const body = Buffer.from(JSON.stringify({ code: status, message }));
    res.shouldKeepAlive = false;
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, Connection: 'close' });
    res.write(body); // on its way now; end() waits for the client to stop sending
    if (req.complete) {
        res.end();
        return;
    }
    let left = LINGER_BYTES;
    const done = (cut) => {
        clearTimeout(timer);
        req.off('data', onData);
        res.end();
        if (cut)
            req.socket.destroy();
    };
    const onData = (chunk) => {
        left -= chunk.length;
        if (left < 0)
            done(true);
    };
    const timer = setTimeout(() => done(true), LINGER_MS);
    timer.unref();
    req.on('data', onData);
    req.once('end', () => done(false));
    req.once('close', () => done(false)); // the client gave up: nothing left to wait for
    req.on('error', () => { });
    req.resume();
}
/** tooLarge is the 413 message for a body past maxBytes (declared is its Content-Length, when it had one). */
function tooLarge(maxBytes, declared) {
    return declared !== undefined ? `request body too large: ${declared} bytes, the limit is ${maxBytes}` : `request body too large: over the limit of ${maxBytes} bytes`;
}
/**
 * readBody reads a request's raw body, at most maxBytes on the wire, and calls done with it. A
 * body past the limit (declared or counted as it arrives) is answered here with refuse (413) and
 * done is never called; so is a client that goes away mid-body (400 "request aborted", to a
 * socket that is gone, as express's body parser answered it), after calling aborted.
 */
export function readBody(req, res, maxBytes, done, aborted) {
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    if (declared !== undefined && declared > maxBytes)
        return refuse(req, res, 413, tooLarge(maxBytes, declared));
    if (!hasBody(req))
        return done(Buffer.alloc(0));
    // Chunks are kept as they come, so memory follows what the client actually sent.
    const chunks = [];
    let received = 0;
    const onData = (chunk) => {
        received += chunk.length;
        if (received <= maxBytes)
            return void chunks.push(chunk);
        stop();
        chunks.length = 0;
        refuse(req, res, 413, tooLarge(maxBytes));
    };
    const onAborted = () => {
        stop();
        aborted?.();
        if (!res.headersSent)
            refuse(req, res, 400, 'request aborted');
    };
    const onEnd = () => {
        stop();
        done(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
    };
    const stop = () => {
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('aborted', onAborted);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('aborted', onAborted);
    req.on('error', () => { }); // the same abort, as an error event: answered above
}
/**
 * rawBody is the first middleware of an app: every request's body is read (readBody, so a body
 * past maxBytes is refused here, whatever the route) and left in req.body as a Buffer.
 */
export function rawBody(maxBytes) {
    return (req, res, next) => readBody(req, res, maxBytes, (body) => {
        req.body = body;
        next();
    });
}
/**
 * utf8Body returns a raw body (readBody's bytes) as UTF-8, the way express.json({strict: true})
 * read bodies before: gzip, deflate or br content encoding, at most maxBytes inflated (413); a
 * utf-* charset (415 otherwise), decoded to UTF-8 (invalid bytes become U+FFFD).
 */
export function utf8Body(h, raw, maxBytes) {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(h['content-type'] ?? '')?.[1].toLowerCase() ?? 'utf-8';
    if (!charset.startsWith('utf-'))
        throw new BodyError(415, `unsupported charset "${charset.toUpperCase()}"`);
    const bytes = inflate((h['content-encoding'] ?? 'identity').toLowerCase(), raw, maxBytes);
    if (charset === 'utf-8')
        return bytes;
    let text;
    try {
        text = new TextDecoder(charset).decode(bytes); // an unknown label throws; bad bytes become U+FFFD
    }
    catch {
        throw new BodyError(415, `unsupported charset "${charset.toUpperCase()}"`);
    }
    return Buffer.from(text);
}
/** jsonOf returns the JSON a request's body holds (utf8Body, then parseBody: {} for an empty body; only an object or array). */
export function jsonOf(req, maxBytes) {
    return parseBody(utf8Body(req.headers, req.body, maxBytes));
}
const INFLATE = {
    gzip: gunzipSync,
    deflate: inflateSync,
    br: brotliDecompressSync,
};
function inflate(encoding, raw, maxBytes) {
    if (encoding === 'identity')
        return raw;
    const fn = INFLATE[encoding];
    if (!fn)
        throw new BodyError(415, `unsupported content encoding "${encoding}"`);
    try {
        return fn(raw, { maxOutputLength: maxBytes });
    }
    catch (e) {
        if (e.code === 'ERR_BUFFER_TOO_LARGE')
            throw new BodyError(413, tooLarge(maxBytes));
        throw new BodyError(400, `request body does not decode as ${encoding}: ${e.message}`);
    }
}
