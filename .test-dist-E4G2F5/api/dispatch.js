import { readBody } from './body.js';
import { replyFor } from './errors.js';
import { clientOf, refusalReply } from './limits.js';
import { recordRequest } from './ops.js';
import { writeReply } from './reply.js';
import { routeLabel } from './route.js';
/**
 * dispatcher returns the request listener of the API: a URL one of routes recognises in its
 * canonical spelling (Route.fast) is answered here, everything else by express, which has every
 * route too. Why: measured here, express 5's per-request setup costs ~100 µs (a bare express app
 * serves ~8,400 trivial requests/s where node:http serves ~40,000), more than a third of a proof
 * read. The pipeline is express's, in its order, from the same functions: counted and logged
 * (recordRequest), Connection: close while draining, the write rate limit (429 counted as
 * "unmatched", as express has matched no route yet), the body read (readBody), the handler, and
 * its reply or error (writeReply, replyFor).
 */
export function dispatcher(app, routes, ctx) {
    const fast = routes.filter((r) => r.fast);
    return (req, res) => {
        const url = req.url ?? '';
        for (const r of fast) {
            if (r.method !== req.method)
                continue;
            const m = r.fast(url);
            if (m)
                return answer(ctx, r, m, req, res);
        }
        app(req, res);
    };
}
function answer(ctx, r, m, req, res) {
    let label = routeLabel(r);
    let error;
    recordRequest(ctx.metrics, ctx.logger, req, res, () => label, () => error);
    if (ctx.readiness.isDraining)
        res.setHeader('Connection', 'close');
    if (r.method !== 'GET') {
        const refused = ctx.limiter.take(clientOf(req));
        if (refused) {
            label = 'unmatched';
            return writeReply(res, refusalReply(refused));
        }
    }
    readBody(req, res, ctx.maxBodyBytes, (body) => {
        const path = req.url.split('?', 1)[0];
        Promise.resolve()
            .then(() => r.handler({ method: r.method, path, query: m.query, params: m.params, headers: req.headers, body }))
            .then((reply) => writeReply(res, reply), (e) => {
            error = e;
            writeReply(res, replyFor(e));
        })
            .catch((e) => {
            error = e; // writing the answer failed: nothing more to say to this client
            res.destroy();
        });
    }, () => (label = 'unmatched'));
}
