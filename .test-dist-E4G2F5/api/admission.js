/**
 * Admission of an upload's raw body: JSON parsing the way the express route's body parser does
 * it, then the kinds module's admitEntry. Imports only errors and kinds, so an admission worker
 * thread (admit-worker.ts) loads nothing else: no express, no SQLite.
 */
import { CairnError, isCairnError } from '../errors.js';
import { admitEntry } from '../kinds/index.js';
/** isPlainObject reports whether v is a JSON object (not an array, not null). */
export function isPlainObject(v) {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
}
/** admit runs admission on an untrusted body; bad input is 400 with rekor's "error processing entry" message. */
export function admit(admitFn, body) {
    if (!isPlainObject(body) || typeof body.kind !== 'string') {
        throw new CairnError('INVALID_ENTRY', 'error processing entry: the body must be a proposed entry object with a string "kind"');
    }
    try {
        return admitFn(body);
    }
    catch (e) {
        if (isCairnError(e, 'INVALID_ENTRY') || isCairnError(e, 'UNSUPPORTED_KIND')) {
            throw new CairnError(e.code, `error processing entry: ${e.message}`, e.details);
        }
        throw e;
    }
}
/** NOT_JSON is the message express's error handler gives a body its JSON parser refused. */
export const NOT_JSON = 'request body is not valid JSON';
/** BodyNotJson is thrown by admitBody for a body express's JSON parser would refuse (400 NOT_JSON). */
export class BodyNotJson extends Error {
    status = 400;
    constructor() {
        super(NOT_JSON);
    }
}
// Strips a leading BOM, as the body parser's decoder does; invalid UTF-8 becomes U+FFFD as there.
const UTF8 = new TextDecoder('utf-8');
const FIRST_NON_WS = /^[\x20\x09\x0a\x0d]*([^\x20\x09\x0a\x0d]|$)/;
/**
 * parseBody parses a UTF-8 body as express.json({strict: true}) does: an empty body is {}, and
 * only an object or array is accepted. Throws BodyNotJson otherwise.
 */
export function parseBody(bytes) {
    const text = UTF8.decode(bytes);
    if (text.length === 0)
        return {};
    const c = text[0] === '{' || text[0] === '[' ? text[0] : FIRST_NON_WS.exec(text)?.[1];
    if (c !== '{' && c !== '[')
        throw new BodyNotJson();
    try {
        return JSON.parse(text);
    }
    catch {
        throw new BodyNotJson();
    }
}
/**
 * admitBody is the whole admission of an upload's raw (UTF-8) body: what the express route does
 * with express.json and admit, as one function a worker thread can run. Throws BodyNotJson,
 * or the CairnError the route would throw.
 */
export function admitBody(bytes, admitFn = admitEntry) {
    return admit(admitFn, parseBody(bytes));
}
