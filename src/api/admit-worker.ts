/**
 * The body of an admission worker thread (admit-pool.ts starts it): admits raw upload bodies
 * with admitBody (Rekor v1) or admitV2Body (Rekor v2), exactly as the inline paths do, and posts
 * back the result or the error's parts. Messages: in [id, bytes, v2]; out [id, kind, body, indexKeys] or [id, null, code, message,
 * details] (code NOT_JSON for a body that is not JSON, null for an error without a code).
 */
import { parentPort } from 'node:worker_threads';
import { CairnError } from '../errors.js';
import { hasNativeVerify } from '../kinds/index.js';
import { BodyNotJson, admitBody } from './admission.js';
import { admitV2Body } from './admission-v2.js';

const port = parentPort!;

port.on('message', ([id, bytes, v2]: [number, Uint8Array, boolean?]) => {
  let a;
  try {
    a = v2 ? admitV2Body(bytes) : admitBody(bytes);
  } catch (e) {
    if (e instanceof BodyNotJson) return port.postMessage([id, null, 'NOT_JSON', e.message, {}]);
    if (!(e instanceof CairnError)) return port.postMessage([id, null, null, String(e), {}]);
    try {
      port.postMessage([id, null, e.code, e.message, e.details]);
    } catch {
      port.postMessage([id, null, e.code, e.message, {}]); // details that cannot be cloned are only for logs
    }
    return;
  }
  // The canonical body is a fresh array of its own: move it rather than copy it.
  const own = a.body.byteOffset === 0 && a.body.byteLength === a.body.buffer.byteLength && !(a.body.buffer instanceof SharedArrayBuffer);
  port.postMessage([id, a.kind, a.body, a.indexKeys], own ? [a.body.buffer as ArrayBuffer] : []);
});

// Ready once this module (and so kinds and the native addon) has loaded: the pool waits for it.
port.postMessage({ ready: true, native: hasNativeVerify() });
