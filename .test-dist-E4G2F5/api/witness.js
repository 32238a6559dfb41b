import express from 'express';
import { MAX_NOTE_BYTES } from '../note/index.js';
import { SIZE_CONTENT_TYPE } from '../witness/index.js';
// A checkpoint note at its largest plus 63 proof lines and the old-size line.
const BODY_LIMIT = MAX_NOTE_BYTES + 64 * 45 + 32;
function text(res, status, body, type = 'text/plain; charset=utf-8') {
    // setHeader, not res.set, which would append a charset: a 409 must be exactly text/x.tlog.size.
    res.status(status).setHeader('Content-Type', type);
    res.end(body.endsWith('\n') ? body : body + '\n');
}
/**
 * createWitnessApp serves a witness over HTTP (shared/specs/tlog-witness.md): POST /add-checkpoint
 * and the monitoring endpoint GET /<hex SHA-256 of origin>/checkpoint, with one submission and
 * monitoring prefix (the server root). Answers are plain text, never JSON, as the spec's clients
 * expect.
 */
export function createWitnessApp(witness) {
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    // Any Content-Type: the spec names none for the request.
    const raw = express.raw({ type: () => true, limit: BODY_LIMIT });
    app.post('/add-checkpoint', raw, (req, res) => {
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const r = witness.addCheckpoint(body);
        if (r.status === 200)
            return text(res, 200, r.cosignatures);
        if (r.status === 409)
            return text(res, 409, `${r.size}\n`, SIZE_CONTENT_TYPE);
        text(res, r.status, r.message);
    });
    app.all('/add-checkpoint', (_req, res) => {
        res.set('Allow', 'POST');
        text(res, 405, 'add-checkpoint takes POST');
    });
    app.get('/:originHash/checkpoint', (req, res) => {
        const cp = /^[0-9a-f]{64}$/.test(req.params.originHash) ? witness.latestByOriginHash(req.params.originHash) : undefined;
        if (!cp)
            return text(res, 404, 'no checkpoint cosigned for that origin');
        res.set('Cache-Control', 'no-cache, max-age=0');
        text(res, 200, cp.note);
    });
    app.use((_req, res) => text(res, 404, 'not found'));
    const onError = (err, _req, res, _next) => {
        if (res.headersSent)
            return;
        const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
        if (status === 500)
            console.error('cairn witness: internal error', err);
        text(res, status, status === 413 ? 'request body too large' : status === 500 ? 'internal error' : 'bad request');
    };
    app.use(onError);
    return app;
}
