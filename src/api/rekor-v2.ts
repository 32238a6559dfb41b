/**
 * Rekor v2's write API (rekor-tiles api/proto/rekor/v2/rekor_service.proto): POST
 * /api/v2/log/entries takes a CreateEntryRequest in protojson and answers 201 with a
 * TransparencyLogEntry in protojson (int64 as strings, bytes as base64, unset fields as null as
 * rekor-tiles' gateway emits them). v2 entries are leaves of the same tree as v1 entries.
 * Errors are the gateway's google.rpc.Status JSON {code, message, details} with the gRPC code.
 */
import { isCairnError, type ErrorCode } from '../errors.js';
import type { Admitted } from '../kinds/index.js';
import { Shards, type AnyLog, type Receipt } from '../log/index.js';
import { rekorV2LogId, rekorV2UsesC2spNote } from '../note/index.js';
import { jsonReply, type Reply } from './reply.js';
import type { Route } from './route.js';
import type { ShardViews } from './shards.js';
import { admitV2Body } from './admission-v2.js';

/** GRPC is the gRPC status code of each outcome (grpc codes.proto), and the HTTP status the gateway maps it to. */
const GRPC: Partial<Record<ErrorCode, [grpc: number, http: number]>> = {
  INVALID_ENTRY: [3, 400], // INVALID_ARGUMENT
  BAD_REQUEST: [3, 400],
  UNSUPPORTED_KIND: [3, 400],
  TOO_LARGE: [3, 413],
  DUPLICATE: [6, 409], // ALREADY_EXISTS
  FROZEN: [9, 400], // FAILED_PRECONDITION: this shard takes no more entries
  PUSHBACK: [14, 503], // UNAVAILABLE
  UNAVAILABLE: [14, 503],
};

/** v2Error returns the reply rekor-tiles' gateway gives an error: {code, message, details: []}. */
export function v2Error(code: number, http: number, message: string, headers: Record<string, string> = {}): Reply {
  return jsonReply(http, JSON.stringify({ code, message, details: [] }), headers);
}

/** V2Target is where an upload goes: a shard's log (its v2 URL), or the shard set's active shard (the root URL). */
export type V2Target = AnyLog | Shards;

/** RekorV2 answers Rekor v2 requests for a log; it knows nothing of the transport. */
export class RekorV2 {
  private readonly ids = new WeakMap<AnyLog, { keyId: string; c2spNote: boolean }>();

  /**
   * admit validates, verifies and canonicalizes a body (admitV2Body): inline by default, or on
   * the admission worker threads (AdmitPool.admit(bytes, true)).
   */
  constructor(
    private readonly log: V2Target,
    private readonly admit: (body: Uint8Array) => Promise<Admitted> = async (b) => admitV2Body(b),
  ) {}

  /** createEntry answers POST /api/v2/log/entries for a request body, into target (default: the one given at construction). */
  async createEntry(body: Uint8Array, target: V2Target = this.log): Promise<Reply> {
    let admitted: Admitted;
    try {
      admitted = await this.admit(body);
    } catch (e) {
      return this.error(e);
    }
    let log: AnyLog;
    let receipt: Receipt;
    try {
      if (target instanceof Shards) ({ receipt, shard: { log } } = await target.append(admitted));
      else [log, receipt] = [target, await target.append(admitted)];
    } catch (e) {
      return this.error(e);
    }
    return jsonReply(201, this.transparencyLogEntry(log, receipt, admitted.kind));
  }

  /** transparencyLogEntry renders a receipt of log as rekor-tiles answers CreateEntry. */
  transparencyLogEntry(log: AnyLog, r: Receipt, kindVersion: string): string {
    let id = this.ids.get(log);
    if (!id) this.ids.set(log, (id = { keyId: b64(rekorV2LogId(log.origin, log.key)), c2spNote: rekorV2UsesC2spNote(log.key) }));
    const [kind, version] = kindVersion.split('/');
    const cp = r.checkpoint;
    return JSON.stringify({
      logIndex: String(r.entry.index),
      logId: { keyId: id.keyId },
      kindVersion: { kind, version },
      // rekor-tiles gives v2 entries no integrated time and no SET: clients take time from a TSA.
      integratedTime: '0',
      inclusionPromise: null,
      inclusionProof: {
        logIndex: String(r.entry.index),
        rootHash: b64(cp.rootHash),
        treeSize: String(cp.size),
        hashes: r.proof.map(b64),
        checkpoint: { envelope: id.c2spNote ? cp.c2sp : cp.rekor },
      },
      canonicalizedBody: b64(r.entry.body),
    });
  }

  private error(e: unknown): Reply {
    if (isCairnError(e)) {
      const [grpc, http] = GRPC[e.code] ?? [2, 500];
      if (e.code === 'DUPLICATE') {
        const index = e.details.index;
        const headers: Record<string, string> = typeof index === 'number' ? { 'x-log-index': String(index) } : {};
        return v2Error(grpc, http, `an equivalent entry already exists in the log${typeof index === 'number' ? ` at index ${index}` : ''}`, headers);
      }
      if (http === 503) return v2Error(grpc, http, e.message, { 'Retry-After': '1' });
      if (http < 500) return v2Error(grpc, http, e.message);
    }
    console.error('cairn: internal error in POST /api/v2/log/entries', e);
    return v2Error(2, 500, 'failed to integrate entry'); // UNKNOWN, as rekor-tiles answers
  }
}

function b64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
}

const SHARD_V2 = /^\/shards\/([^/?]+)\/api\/v2\/log\/entries$/;

/**
 * rekorV2Routes is Rekor v2's write route: at the root into the active shard, and at each shard's
 * own v2 URL (/shards/<name>) into that shard, which a frozen shard refuses (FAILED_PRECONDITION).
 * Canonical URLs are answered by the dispatcher, like v1 uploads, without express.
 */
export function rekorV2Routes(v2: RekorV2, shards: ShardViews): Route[] {
  return [
    { method: 'POST', path: '/api/v2/log/entries', handler: (req) => v2.createEntry(req.body), fast: (url) => (url === '/api/v2/log/entries' ? { params: {}, query: {} } : undefined) },
    {
      method: 'POST',
      path: '/shards/:shard/api/v2/log/entries',
      handler: (req) => {
        const shard = shards.shards.byName(req.params.shard);
        if (!shard) return v2Error(5, 404, `no shard named "${req.params.shard}"`); // NOT_FOUND
        return v2.createEntry(req.body, shard.log);
      },
      fast: (url) => {
        const m = SHARD_V2.exec(url);
        return m ? { params: { shard: m[1] }, query: {} } : undefined;
      },
    },
  ];
}
