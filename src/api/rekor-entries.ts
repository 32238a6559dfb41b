/**
 * Rekor's entry endpoints (rekor pkg/api/entries.go): create, get by index, get by UUID, retrieve.
 * Entries read later carry an inclusion proof to the current tree and its checkpoint, as Rekor's do;
 * a created entry carries the proof and checkpoint of the batch that integrated it.
 */
import { CairnError, isCairnError } from '../errors.js';
import type { Admitted } from '../kinds/index.js';
import { leafHash } from '../merkle/index.js';
import { admit, isPlainObject, type AdmitFn } from './admission.js';
import { jsonOf, utf8Body } from './body.js';
import { optionalArray, parseEntryId, queryInt } from './rekor-input.js';
import { errorReply, jsonReply, type Reply } from './reply.js';
import { UUID_HEX_LEN } from './rekor-format.js';
import type { ApiRequest } from './route.js';
import type { Found, ShardViews } from './shards.js';

/** MAX_SEARCH_QUERIES is rekor's maxSearchQueries: most UUIDs + indexes + entries in one retrieve. */
export const MAX_SEARCH_QUERIES = 10;

/** httpError returns an error answered with this 4xx status and message. */
export function httpError(status: number, message: string): Error {
  return Object.assign(new Error(message), { status });
}

/** Admit is the one admission path of an upload's UTF-8 body: an AdmitPool's workers, or inline (admitBody). Owns bytes. */
export type Admit = (bytes: Uint8Array) => Promise<Admitted>;

export class RekorEntries {
  private readonly entriesUrl: string;

  constructor(
    private readonly shards: ShardViews,
    publicUrl: string,
    private readonly admitBytes: Admit,
    private readonly maxBodyBytes: number,
    private readonly admitEntry: AdmitFn,
  ) {
    this.entriesUrl = `${publicUrl.replace(/\/+$/, '')}/api/v1/log/entries/`;
  }

  /** POST /api/v1/log/entries → 201 {<entry ID>: LogEntryAnon} with Location and ETag, or 409 with the existing entry's Location; always into the active shard. */
  readonly create = async (req: ApiRequest): Promise<Reply> => {
    const admitted = await this.admitBytes(utf8Body(req.headers, req.body, this.maxBodyBytes));
    let appended;
    try {
      // The SET is signed for the response anyway: sign it in the batch and store it, so reads serve it.
      appended = await this.shards.shards.append({ ...admitted, signEntryTimestamp: true });
    } catch (e) {
      if (!isCairnError(e, 'DUPLICATE')) throw e;
      // Duplicates are found in the active shard, as Rekor's are (its tree refuses the leaf).
      const id = this.shards.active.fmt.entryId((e.details.leafHash as Uint8Array | undefined) ?? leafHash(admitted.body));
      return errorReply(409, `an equivalent entry already exists in the transparency log with UUID ${id}`, { Location: this.entriesUrl + id });
    }
    const { fmt } = this.shards.of(appended.shard);
    const { receipt } = appended;
    const id = fmt.entryId(receipt.entry.leafHash);
    return jsonReply(201, fmt.logEntry(receipt.entry, receipt.checkpoint, receipt.proof), { Location: this.entriesUrl + id, ETag: id });
  };

  /** GET /api/v1/log/entries?logIndex=N, N virtual (counted through the frozen shards first). */
  readonly byIndex = async (req: ApiRequest): Promise<Reply> => {
    const index = queryInt(req.query, 'logIndex', 0);
    if (index === undefined) throw new CairnError('BAD_REQUEST', 'logIndex in query is required');
    const found = await this.shards.entryAt(index);
    if (!found) return errorReply(404, `no entry at log index ${index}`);
    return jsonReply(200, await currentLogEntry(found));
  };

  /** GET /api/v1/log/entries/{entryUUID}: an entry ID looks in its tree ID's shard, a bare UUID in every shard. */
  readonly byUuid = async (req: ApiRequest): Promise<Reply> => {
    const ref = parseEntryId(req.params.entryUUID);
    if (ref.tree !== undefined && !this.shards.byTreeIdHex(ref.tree)) return errorReply(404, `tree ID ${ref.tree} is not a shard of this log`);
    const [found] = await this.shards.entryByLeafHash(ref.leafHash, ref.tree);
    if (!found) return errorReply(404, 'entry not found');
    return jsonReply(200, await currentLogEntry(found));
  };

  /**
   * POST /api/v1/log/entries/retrieve: entries by UUID, proposed entry and index, missing ones
   * skipped, in rekor's order (full entry IDs, then plain UUIDs and proposed entries, then
   * indexes); plain UUIDs and proposed entries are looked up in every shard.
   */
  readonly retrieve = async (req: ApiRequest): Promise<Reply> => {
    const body = jsonOf(req, this.maxBodyBytes);
    if (!isPlainObject(body)) throw new CairnError('BAD_REQUEST', 'the body must be a SearchLogQuery object');
    const uuids = optionalArray(body, 'entryUUIDs');
    const indexes = optionalArray(body, 'logIndexes');
    const proposed = optionalArray(body, 'entries');
    if (uuids.length + indexes.length + proposed.length > MAX_SEARCH_QUERIES) {
      throw httpError(422, `more than max allowed ${MAX_SEARCH_QUERIES} entries in request`);
    }
    // Validate everything before reading anything, so a bad item fails the whole request.
    const full: { leafHash: Uint8Array; tree: string }[] = [];
    const byHash: Uint8Array[] = [];
    for (const u of uuids) {
      const ref = parseEntryId(u);
      if ((u as string).length === UUID_HEX_LEN) byHash.push(ref.leafHash);
      else if (ref.tree === undefined) throw new CairnError('BAD_REQUEST', `invalid entryID ${u as string}`); // rekor: tree ID 0 is no entry ID
      else full.push({ leafHash: ref.leafHash, tree: ref.tree });
    }
    for (const p of proposed) byHash.push(leafHash(admit(this.admitEntry, p).body));
    const idx = indexes.map((i) => {
      if (typeof i !== 'number' || !Number.isSafeInteger(i) || i < 0) throw new CairnError('BAD_REQUEST', 'logIndexes must be non-negative integers');
      return i;
    });

    const found: Found[] = [];
    for (const f of full) found.push(...(await this.shards.entryByLeafHash(f.leafHash, f.tree)));
    for (const h of byHash) found.push(...(await this.shards.entryByLeafHash(h)));
    // Asked for together: entry reads are gathered per turn (Log.entryByIndexGathered).
    for (const e of await Promise.all(idx.map((i) => this.shards.entryAt(i)))) if (e) found.push(e);
    const bodies: string[] = [];
    for (const f of found) bodies.push(await currentLogEntry(f));
    return jsonReply(200, '[' + bodies.join(',') + ']');
  };
}

/** currentLogEntry returns a found entry with an inclusion proof to its shard's latest checkpoint, as Rekor serves stored entries. */
async function currentLogEntry(f: Found): Promise<string> {
  const c = await f.view.log.latest();
  return f.view.fmt.logEntry(f.entry, c, await f.view.log.inclusionProof(f.entry.index, c.size));
}
