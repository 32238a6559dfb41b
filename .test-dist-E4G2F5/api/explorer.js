/**
 * The explorer page (web/, built into build/explorer by `npm install`): GET / serves index.html,
 * GET /explorer/<name>.<content hash>.<js|css> its assets. The page is only static files: it
 * reads the log through the same public API as any client, and verifies what it shows itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errorReply } from './reply.js';
import { acceptsGzip } from './route.js';
/** EXPLORER_DIR is where scripts/build-web.mjs writes the page (the same from src/ under tsx and from dist/). */
export const EXPLORER_DIR = resolve(import.meta.dirname, '..', '..', 'build', 'explorer');
// The page loads nothing from elsewhere and is never framed; data from the log reaches it as text.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
// index.html names the hashed assets, so it is revalidated every time; the assets never change.
const REVALIDATE = 'no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const ASSET = /^[a-z]+\.[0-9a-f]{16}\.(js|css)$/;
const TYPES = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
/**
 * loadFiles reads the built page into memory (about 50 kB): index.html and the assets it names,
 * so files of other builds in the folder are never read. Undefined when the page was not built.
 */
function loadFiles(dir) {
    if (!existsSync(join(dir, 'index.html')))
        return undefined;
    const read = (name) => ({ type: TYPES[name.split('.').pop()], raw: readFileSync(join(dir, name)), gz: readFileSync(join(dir, `${name}.gz`)) });
    const index = read('index.html');
    const files = new Map([['index.html', index]]);
    for (const m of index.raw.toString().matchAll(/"explorer\/([^"]+)"/g))
        if (ASSET.test(m[1]))
            files.set(m[1], read(m[1]));
    return files;
}
function reply(req, f, cache, headers = {}) {
    const gz = acceptsGzip(req);
    return {
        status: 200,
        headers: { ...headers, Vary: 'Accept-Encoding', 'Content-Type': f.type, 'Cache-Control': cache, 'X-Content-Type-Options': 'nosniff', ...(gz && { 'Content-Encoding': 'gzip' }) },
        body: gz ? f.gz : f.raw,
    };
}
/** explorerRoutes serve the explorer page from dir; without a build, GET / says how to make one. */
export function explorerRoutes(dir = EXPLORER_DIR) {
    const files = loadFiles(dir);
    const page = { 'Content-Security-Policy': CSP, 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' };
    return [
        {
            method: 'GET',
            path: '/',
            handler: (req) => (files ? reply(req, files.get('index.html'), REVALIDATE, page) : errorReply(404, 'not found: the explorer page is not built: run npm install (scripts/build-web.mjs)')),
        },
        {
            method: 'GET',
            path: '/explorer/:name',
            handler: (req) => {
                const f = ASSET.test(req.params.name) ? files?.get(req.params.name) : undefined;
                return f ? reply(req, f, IMMUTABLE) : errorReply(404, 'not found');
            },
        },
    ];
}
