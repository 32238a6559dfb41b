/**
 * The body of an admission worker thread (admit-pool.ts starts it): admits raw upload bodies
 * with admitBody (Rekor v1) or admitV2Body (Rekor v2), exactly as the inline paths do, and posts
 * back the result or the error's parts. Tuples, not objects: they are the cheapest to clone, once
 * per upload each way.
 */
import { CairnError } from '../errors.js';
import { hasNativeVerify } from '../kinds/index.js';
import { threadPort } from '../threads/index.js';
import { BodyNotJson, admitBody } from './admission.js';
import { admitV2Body } from './admission-v2.js';
const port = threadPort();
port.on(([id, bytes, v2]) => {
    let a;
    try {
        a = v2 ? admitV2Body(bytes) : admitBody(bytes);
    }
    catch (e) {
        if (e instanceof BodyNotJson)
            return port.post([id, null, 'NOT_JSON', e.message, {}]);
        if (!(e instanceof CairnError))
            return port.post([id, null, null, String(e), {}]);
        try {
            port.post([id, null, e.code, e.message, e.details]);
        }
        catch {
            port.post([id, null, e.code, e.message, {}]); // details that cannot be cloned are only for logs
        }
        return;
    }
    // The canonical body is a fresh array of its own: move it rather than copy it.
    const own = a.body.byteOffset === 0 && a.body.byteLength === a.body.buffer.byteLength && !(a.body.buffer instanceof SharedArrayBuffer);
    port.post([id, a.kind, a.body, a.indexKeys], own ? [a.body.buffer] : []);
});
// Ready once this module (and so kinds and the native addon) has loaded: the pool waits for it.
port.post({ ready: true, native: hasNativeVerify() });
