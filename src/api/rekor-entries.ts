/**
 * Rekor's entry endpoints (rekor pkg/api/entries.go): create, get by index, get by UUID, retrieve.
 * Entries read later carry an inclusion proof to the current tree and its checkpoint, as Rekor's do;
 * a created entry carries the proof and checkpoint of the batch that integrated it.
 */
import { CairnError, isCairnError } from '../errors.js';
import type { Admitted } from '../kinds/index.js';
import type { Log, StoredEntry } from '../log/index.js';
import { leafHash } from '../merkle/index.js';
import { admit, isPlainObject, type AdmitFn } from './admission.js';
import { jsonOf, utf8Body } from './body.js';
import { RekorFormatter, UUID_HEX_LEN } from './rekor-format.js';
import { optionalArray, parseEntryId, queryInt } from './rekor-input.js';
import { errorReply, jsonReply, type Reply } from './reply.js';
import type { ApiRequest } from './route.js';

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
    private readonly log: Log,
    private readonly fmt: RekorFormatter,
    publicUrl: string,
    private readonly admitBytes: Admit,
    private readonly maxBodyBytes: number,
    private readonly admitEntry: AdmitFn,
  ) {
    this.entriesUrl = `${publicUrl.replace(/\/+$/, '')}/api/v1/log/entries/`;
  }

  /** POST /api/v1/log/entries → 201 {<entry ID>: LogEntryAnon} with Location and ETag, or 409 with the existing entry's Location. */
  readonly create = async (req: ApiRequest): Promise<Reply> => {
    const admitted = await this.admitBytes(utf8Body(req.headers, req.body, this.maxBodyBytes));
    let receipt;
    try {
      // The SET is signed for the response anyway: sign it in the batch and store it, so reads serve it.
      receipt = await this.log.append({ ...admitted, signEntryTimestamp: true });
    } catch (e) {
      if (!isCairnError(e, 'DUPLICATE')) throw e;
      const id = this.fmt.entryId((e.details.leafHash as Uint8Array | undefined) ?? leafHash(admitted.body));
      return errorReply(409, `an equivalent entry already exists in the transparency log with UUID ${id}`, { Location: this.entriesUrl + id });
    }
    const id = this.fmt.entryId(receipt.entry.leafHash);
    return jsonReply(201, this.fmt.logEntry(receipt.entry, receipt.checkpoint, receipt.proof), { Location: this.entriesUrl + id, ETag: id });
  };

  /** GET /api/v1/log/entries?logIndex=N */
  readonly byIndex = (req: ApiRequest): Reply => {
    const index = queryInt(req.query, 'logIndex', 0);
    if (index === undefined) throw new CairnError('BAD_REQUEST', 'logIndex in query is required');
    const e = this.log.entryByIndex(index);
    if (!e) return errorReply(404, `no entry at log index ${index}`);
    return jsonReply(200, this.fmt.currentLogEntry(e));
  };

  /** GET /api/v1/log/entries/{entryUUID} */
  readonly byUuid = (req: ApiRequest): Reply => {
    const ref = parseEntryId(req.params.entryUUID, this.fmt.treeIdHex);
    const e = ref.otherTree ? undefined : this.log.entryByLeafHash(ref.leafHash);
    if (!e) return errorReply(404, 'entry not found');
    return jsonReply(200, this.fmt.currentLogEntry(e));
  };

  /**
   * POST /api/v1/log/entries/retrieve: entries by UUID, proposed entry and index, missing ones
   * skipped, in rekor's order (full entry IDs, then plain UUIDs and proposed entries, then indexes).
   */
  readonly retrieve = (req: ApiRequest): Reply => {
    const body = jsonOf(req, this.maxBodyBytes);
    if (!isPlainObject(body)) throw new CairnError('BAD_REQUEST', 'the body must be a SearchLogQuery object');
    const uuids = optionalArray(body, 'entryUUIDs');
    const indexes = optionalArray(body, 'logIndexes');
    const proposed = optionalArray(body, 'entries');
    if (uuids.length + indexes.length + proposed.length > MAX_SEARCH_QUERIES) {
      throw httpError(422, `more than max allowed ${MAX_SEARCH_QUERIES} entries in request`);
    }
    // Validate everything before reading anything, so a bad item fails the whole request.
    const full: Buffer[] = [];
    const byHash: Uint8Array[] = [];
    for (const u of uuids) {
      const ref = parseEntryId(u, this.fmt.treeIdHex);
      if ((u as string).length === UUID_HEX_LEN) byHash.push(ref.leafHash);
      else if (/^0{16}/.test(u as string)) throw new CairnError('BAD_REQUEST', `invalid entryID ${u as string}`);
      else if (!ref.otherTree) full.push(ref.leafHash);
    }
    for (const p of proposed) byHash.push(leafHash(admit(this.admitEntry, p).body));
    const idx = indexes.map((i) => {
      if (typeof i !== 'number' || !Number.isSafeInteger(i) || i < 0) throw new CairnError('BAD_REQUEST', 'logIndexes must be non-negative integers');
      return i;
    });

    const found: StoredEntry[] = [];
    for (const h of [...full, ...byHash]) {
      const e = this.log.entryByLeafHash(h);
      if (e) found.push(e);
    }
    for (const i of idx) {
      const e = this.log.entryByIndex(i);
      if (e) found.push(e);
    }
    return jsonReply(200, '[' + found.map((e) => this.fmt.currentLogEntry(e)).join(',') + ']');
  };
}
