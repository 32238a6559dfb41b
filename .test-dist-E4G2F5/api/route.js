import { createRequire } from 'node:module';
import { Router } from 'express';
import { writeReply } from './reply.js';
// Content negotiation as express did it (its accepts() wraps the same package).
const Negotiator = createRequire(import.meta.url)('negotiator');
/** acceptsGzip reports whether the client prefers gzip to identity (Accept-Encoding, as express's req.acceptsEncodings). */
export function acceptsGzip(req) {
    return new Negotiator(req).encodings(['gzip', 'identity'])[0] === 'gzip';
}
/** routeLabel is a route's name in metrics and request logs: its pattern, never the raw path. */
export function routeLabel(r) {
    return String(r.path);
}
/** expressRoutes mounts routes on an express router. */
export function expressRoutes(routes) {
    const router = Router();
    for (const r of routes) {
        const method = r.method === 'GET' ? 'get' : 'post';
        router[method](r.path, async (req, res) => writeReply(res, await r.handler(fromExpress(req))));
    }
    return router;
}
function fromExpress(req) {
    return {
        method: req.method,
        path: req.path,
        query: req.query,
        params: req.params,
        headers: req.headers,
        body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    };
}
