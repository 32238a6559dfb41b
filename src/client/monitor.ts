/**
 * One monitoring step: fetch the log's newest signed checkpoint and prove it extends the last one
 * this monitor trusted. Any failure that is evidence of misbehaviour is a MonitorAlarm (split view,
 * rollback, fork, bad signature, tampered tile or entry); network trouble stays a plain CairnError
 * (UNAVAILABLE), since retrying may fix it.
 */
import { CairnError } from '../errors.js';
import { EMPTY_ROOT, HASH_SIZE, TILE_WIDTH, bytesEqual, leafHash, verifyConsistency } from '../merkle/index.js';
import type { Checkpoint } from '../note/index.js';
import type { Fetcher } from './fetcher.js';
import type { LogVerifierKey } from './keys.js';
import { RekorClient } from './rekor.js';
import { TileClient, type SignedTreeHead } from './tiles.js';

/** MonitorState is what a monitor trusts between runs (kept in its state file). */
export interface MonitorState {
  origin: string;
  size: number;
  /** base64 root hash of `size`. */
  rootHash: string;
  /** The signed note that vouched for it: the evidence to show if the log later contradicts it. */
  note: string;
  /** Entries [0, entriesChecked) were re-derived from bundles and matched the tiles. */
  entriesChecked?: number;
}

export type AlarmKind = 'bad-signature' | 'origin' | 'rollback' | 'split-view' | 'fork' | 'tampered';

/** MonitorAlarm is proof (or strong evidence) that the log misbehaved. */
export class MonitorAlarm extends CairnError {
  constructor(readonly kind: AlarmKind, message: string, readonly evidence: { trusted?: string; received?: string } = {}) {
    super(kind === 'tampered' ? 'CORRUPT' : kind === 'bad-signature' ? 'BAD_SIGNATURE' : 'INCONSISTENT', message);
    this.name = 'MonitorAlarm';
  }
}

export interface MonitorSource {
  api: 'tiles' | 'rekor';
  /** For api 'tiles': where tiles are read from. */
  fetcher?: Fetcher;
  /** For api 'rekor': the server's base URL. */
  rekor?: RekorClient;
}

export interface StepOptions {
  /** Re-derive every new entry's leaf hash from the bundles (tiles API only). */
  checkEntries?: boolean;
  /** Required origin; default: the trusted state's, else whatever the first checkpoint says. */
  origin?: string;
}

export interface StepResult {
  state: MonitorState;
  /** Entries the checkpoint added since the trusted state. */
  grew: number;
  entriesChecked: number;
  tilesFetched: number;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** monitorStep checks the log once against `trusted` (undefined: first contact) and returns the new state. */
export async function monitorStep(source: MonitorSource, key: LogVerifierKey, trusted: MonitorState | undefined, opts: StepOptions = {}): Promise<StepResult> {
  const tiles = source.api === 'tiles' ? new TileClient(source.fetcher!) : undefined;
  if (source.api === 'rekor' && opts.checkEntries) throw new CairnError('CONFIG', '--check-entries needs the tiles API (entry bundles)');

  let sth: SignedTreeHead;
  try {
    sth = tiles ? await tiles.checkpoint((o) => key.c2sp(o)) : await source.rekor!.logInfo((o) => key.rekor(o));
  } catch (e) {
    if (e instanceof CairnError && (e.code === 'BAD_SIGNATURE' || e.code === 'MALFORMED_NOTE')) {
      throw new MonitorAlarm('bad-signature', `BAD SIGNATURE: the log's checkpoint does not verify with the given key: ${e.message}`);
    }
    throw e;
  }
  const cp = sth.checkpoint;
  const wantOrigin = opts.origin ?? trusted?.origin;
  if (wantOrigin !== undefined && cp.origin !== wantOrigin) {
    throw new MonitorAlarm('origin', `ORIGIN CHANGED: checkpoint is for "${cp.origin}", expected "${wantOrigin}"`, { trusted: trusted?.note, received: sth.note });
  }
  const evidence = { trusted: trusted?.note, received: sth.note };
  const oldSize = trusted?.size ?? 0;
  const oldRoot = trusted ? new Uint8Array(Buffer.from(trusted.rootHash, 'base64')) : EMPTY_ROOT;

  if (cp.size < oldSize) {
    throw new MonitorAlarm('rollback', `ROLLBACK: the log's checkpoint is for size ${cp.size}, smaller than the trusted size ${oldSize}`, evidence);
  }
  if (cp.size === oldSize && !bytesEqual(cp.rootHash, oldRoot)) {
    throw new MonitorAlarm('split-view', `SPLIT VIEW: two signed checkpoints for size ${cp.size} with different root hashes (trusted ${b64(oldRoot)}, now ${b64(cp.rootHash)})`, evidence);
  }
  // Tiles first: once the new tiles are authenticated against the new signed root, a consistency
  // proof built from them that fails is a fork, not a served-data problem.
  let entriesChecked = trusted?.entriesChecked ?? 0;
  const from = opts.checkEntries ? Math.min(entriesChecked, oldSize) : oldSize;
  const level0 = tiles ? await tamperChecked(() => tiles.verifyTiles(from, cp.size, cp.rootHash)) : undefined;

  if (cp.size > oldSize && oldSize > 0) {
    let proof: Uint8Array[];
    if (tiles) {
      proof = await tamperChecked(() => tiles.consistencyProof(oldSize, cp.size));
    } else {
      const p = await source.rekor!.consistencyProof(oldSize, cp.size);
      if (!bytesEqual(p.rootHash, cp.rootHash)) throw new MonitorAlarm('fork', `FORK: /api/v1/log/proof answered for a root other than the signed one at size ${cp.size}`, evidence);
      proof = p.hashes;
    }
    try {
      verifyConsistency(oldSize, cp.size, proof, oldRoot, cp.rootHash);
    } catch (e) {
      throw new MonitorAlarm('fork', `FORK: size ${cp.size} is not an append-only extension of the trusted size ${oldSize}: ${(e as Error).message}`, evidence);
    }
  }

  let checked = 0;
  if (tiles && opts.checkEntries) {
    checked = await checkEntries(tiles, from, cp, level0!);
    entriesChecked = cp.size;
  }
  const state: MonitorState = { origin: cp.origin, size: cp.size, rootHash: b64(cp.rootHash), note: sth.note };
  if (opts.checkEntries || trusted?.entriesChecked !== undefined) state.entriesChecked = opts.checkEntries ? entriesChecked : Math.min(entriesChecked, cp.size);
  return { state, grew: cp.size - oldSize, entriesChecked: checked, tilesFetched: tiles?.requests ?? 0 };
}

/** checkEntries re-derives leaves [from, size) from bundles and compares them with the verified level-0 tiles. */
async function checkEntries(tiles: TileClient, from: number, cp: Checkpoint, level0: Map<number, Uint8Array>): Promise<number> {
  let n = 0;
  if (from >= cp.size) return 0; // nothing new: tilesBetween gave no level-0 tiles either
  for (let index = Math.floor(from / TILE_WIDTH); index * TILE_WIDTH < cp.size; index++) {
    const tile = level0.get(index);
    if (!tile) throw new Error(`monitor: level-0 tile ${index} was not verified`);
    const entries = await tamperChecked(() => tiles.bundle(index, cp.size));
    for (let i = 0; i < entries.length; i++) {
      if (!bytesEqual(leafHash(entries[i]), tile.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE))) {
        throw new MonitorAlarm('tampered', `TAMPERED: entry ${index * TILE_WIDTH + i} in bundle ${index} does not hash to its leaf in the signed tree`);
      }
      n++;
    }
  }
  return n;
}

/** tamperChecked turns "served data does not add up" (CORRUPT) into an alarm; a missing tile stays NOT_FOUND. */
async function tamperChecked<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof CairnError && e.code === 'CORRUPT') throw new MonitorAlarm('tampered', `TAMPERED: ${e.message}`);
    throw e;
  }
}
