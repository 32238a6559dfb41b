/**
 * Where a client reads a log from: an HTTP(S) prefix, or a directory holding a static export (the
 * same relative paths). A Fetcher answers undefined for "not there" (404 / no file) and throws
 * UNAVAILABLE for anything else, so callers can tell a missing tile from a broken network.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CairnError } from '../errors.js';
/** httpFetcher reads paths below the URL prefix base with the global fetch. */
export function httpFetcher(base, opts = {}) {
    const prefix = base.endsWith('/') ? base : base + '/';
    return async (path) => {
        const url = prefix + path;
        let res;
        try {
            res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000), headers: { 'accept-encoding': 'gzip, identity' } });
        }
        catch (e) {
            throw new CairnError('UNAVAILABLE', `GET ${url}: ${e.message}`);
        }
        if (res.status === 404) {
            await res.body?.cancel();
            return undefined;
        }
        if (res.status !== 200) {
            await res.body?.cancel();
            throw new CairnError('UNAVAILABLE', `GET ${url}: HTTP ${res.status}`);
        }
        return new Uint8Array(await res.arrayBuffer());
    };
}
/** dirFetcher reads paths below a local directory (a `cairn export` output). */
export function dirFetcher(dir) {
    return async (path) => {
        // Paths come from tilePath/entriesPath or are fixed names; refuse anything that could climb out.
        if (path.split('/').some((p) => p === '..' || p === ''))
            throw new CairnError('BAD_REQUEST', `bad path ${path}`);
        try {
            return new Uint8Array(await readFile(join(dir, path)));
        }
        catch (e) {
            if (e.code === 'ENOENT')
                return undefined;
            throw new CairnError('UNAVAILABLE', `read ${join(dir, path)}: ${e.message}`);
        }
    };
}
/** openFetcher returns the fetcher of a log location: an http(s) URL, a file: URL or a directory path. */
export function openFetcher(location, opts = {}) {
    if (/^https?:\/\//i.test(location))
        return httpFetcher(location, opts);
    if (/^file:/i.test(location))
        return dirFetcher(fileURLToPath(location));
    return dirFetcher(location);
}
