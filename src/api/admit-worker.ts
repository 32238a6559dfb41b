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

/** AdmitIn is one body to admit, with the pool's id for it and whether it is a Rekor v2 request. */
export type AdmitIn = [id: number, bytes: Uint8Array, v2?: boolean];
/**
 * AdmitReply is [id, kind, body, indexKeys, derivedKeys] for an admitted body, or [id, null, code, message,
 * details] for an error (code NOT_JSON for a body that is not JSON, null for an error without one).
 */
export type AdmitReply = [id: number, kind: string, body: Uint8Array, indexKeys: string[], derivedKeys: boolean] | [id: number, kind: null, code: string | null, message: string, details: unknown];
/** AdmitOut is a reply, or the one message saying the worker has loaded. */
export type AdmitOut = AdmitReply | { ready: true; native: boolean };

const port = threadPort<AdmitIn, AdmitOut>();

port.on(([id, bytes, v2]) => {
  let a;
  try {
    a = v2 ? admitV2Body(bytes) : admitBody(bytes);
  } catch (e) {
    if (e instanceof BodyNotJson) return port.post([id, null, 'NOT_JSON', e.message, {}]);
    if (!(e instanceof CairnError)) return port.post([id, null, null, String(e), {}]);
    try {
      port.post([id, null, e.code, e.message, e.details]);
    } catch {
      port.post([id, null, e.code, e.message, {}]); // details that cannot be cloned are only for logs
    }
    return;
  }
  // The canonical body is a fresh array of its own: move it rather than copy it.
  const own = a.body.byteOffset === 0 && a.body.byteLength === a.body.buffer.byteLength && !(a.body.buffer instanceof SharedArrayBuffer);
  port.post([id, a.kind, a.body, a.indexKeys, a.derivedKeys === true], own ? [a.body.buffer as ArrayBuffer] : []);
});

// Ready once this module (and so kinds and the native addon) has loaded: the pool waits for it.
port.post({ ready: true, native: hasNativeVerify() });
