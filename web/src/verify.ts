/**
 * Verify: the checks a reader runs in the browser on one entry, each reported passed or failed
 * with its reason. Nothing the server says is taken on trust except through the log key the page
 * trusts (shown, and pinnable): the body is hashed here, the proof folded here, every signature
 * checked here with WebCrypto.
 */
import { api, type RawEntry, type ShardInfo } from './api.js';
import { equal, fromBase64, fromHex, toHex, utf8 } from './bytes.js';
import { importLogKey, type LogKey } from './keys.js';
import { leafHash, rootFromInclusionProof, verifyConsistency } from './merkle.js';
import { parseCheckpoint, parseNote, verifyLogSignature, type Checkpoint } from './note.js';

/** Step is one check and its outcome. */
export interface Step {
  id: 'leaf' | 'inclusion' | 'checkpoint' | 'set' | 'consistency';
  title: string;
  ok: boolean;
  detail: string;
}

/** VerifyContext is what the page trusts: the log key and the first checkpoint it verified. */
export interface VerifyContext {
  key: LogKey;
  first?: Checkpoint;
}

const short = (b: Uint8Array) => toHex(b).slice(0, 16) + '…';

/**
 * Place is the tree an entry is in. After a rotation the log has frozen shards: an entry's
 * logIndex is virtual (counted through the shards before its own; what the SET signs), its
 * inclusion proof's logIndex is the leaf's index in its own tree, and its ID starts with that
 * tree's ID as 16 hex digits (Rekor's entry IDs).
 */
interface Place {
  /** Entries in the shards before the entry's tree. */
  offset: number;
  /** The frozen shard holding the entry; undefined for the active tree. */
  frozen?: ShardInfo;
  /**
   * The key the entry's tree is signed with. Each shard has its own: a frozen shard's is the one
   * the log serves for its tree ID (the page pins only the active tree's), and the steps say so.
   */
  key: LogKey;
}

async function placeOf(e: RawEntry, trusted: LogKey): Promise<Place> {
  const shards = (await api.logInfo()).inactiveShards ?? [];
  const tree = e.id.length === 80 ? e.id.slice(0, 16) : undefined;
  let offset = 0;
  for (const s of shards) {
    if (tree !== undefined && BigInt(s.treeID).toString(16).padStart(16, '0') === tree) {
      return { offset, frozen: s, key: await importLogKey(await api.publicKey(s.treeID)) };
    }
    offset += s.treeSize;
  }
  return { offset, key: trusted };
}

const keyName = (place: Place) => (place.frozen ? `frozen shard ${place.frozen.treeID}'s ${place.key.algorithm} key (as the log serves it)` : `trusted ${place.key.algorithm} key`);

async function leafStep(e: RawEntry, body: Uint8Array): Promise<string> {
  const want = fromHex(e.id.slice(-64));
  if (!want || want.length !== 32) return `FAIL:the entry ID ${e.id} does not end in a 64-digit leaf hash`;
  const got = await leafHash(body);
  if (!equal(got, want)) return `FAIL:SHA-256(0x00 || body) is ${short(got)}, but the entry UUID says ${short(want)}`;
  return `SHA-256(0x00 || body) = ${short(got)}, the entry's UUID`;
}

async function inclusionStep(e: RawEntry, body: Uint8Array, cp: Checkpoint | string, place: Place): Promise<string> {
  const p = e.anon.verification?.inclusionProof;
  if (!p) return 'FAIL:the server sent no inclusion proof';
  if (typeof cp === 'string') return `FAIL:the proof's checkpoint is malformed: ${cp}`;
  if (p.logIndex + place.offset !== e.anon.logIndex) {
    const shards = place.offset > 0 ? ` after ${place.offset} entries in earlier shards` : '';
    return `FAIL:the proof is for index ${p.logIndex}${shards}, the entry is at ${e.anon.logIndex}`;
  }
  if (p.treeSize !== cp.size) return `FAIL:the proof is for tree size ${p.treeSize}, its checkpoint for ${cp.size}`;
  const hashes = p.hashes.map((h) => fromHex(h));
  if (hashes.some((h) => !h || h.length !== 32)) return 'FAIL:a proof hash is not 32 bytes of hex';
  const root = await rootFromInclusionProof(p.logIndex, p.treeSize, await leafHash(body), hashes as Uint8Array[]);
  if (typeof root === 'string') return `FAIL:${root}`;
  if (!equal(root, cp.rootHash)) return `FAIL:the ${hashes.length} proof hashes lead to root ${short(root)}, but the checkpoint's root is ${short(cp.rootHash)}`;
  return `${hashes.length} proof hashes lead from leaf ${p.logIndex} to the checkpoint's root ${short(root)} at tree size ${p.treeSize}`;
}

async function checkpointStep(e: RawEntry, place: Place, cp: Checkpoint | string): Promise<string> {
  const text = e.anon.verification?.inclusionProof?.checkpoint;
  if (!text) return 'FAIL:the server sent no checkpoint';
  const note = parseNote(text);
  if (typeof note === 'string') return `FAIL:${note}`;
  if (typeof cp === 'string') return `FAIL:${cp}`;
  const why = await verifyLogSignature(note, cp.origin, place.key);
  if (why) return `FAIL:${why}`;
  return `signed by the ${keyName(place)} as ${cp.origin}, tree size ${cp.size}`;
}

async function setStep(e: RawEntry, place: Place): Promise<string> {
  const key = place.key;
  const set = e.anon.verification?.signedEntryTimestamp;
  if (!set) return 'FAIL:the entry has no signed entry timestamp';
  const sig = fromBase64(set);
  if (!sig) return 'FAIL:the signed entry timestamp is not base64';
  if (e.anon.logID !== toHex(key.logId)) return `FAIL:the entry's logID ${e.anon.logID.slice(0, 16)}… is not the ${keyName(place)}'s ${short(key.logId)}`;
  // RFC 8785 canonical JSON of the four fields (src/log/set.ts): keys in this order, and the
  // values, base64, hex and integers, need no escaping, so JSON.stringify of them is canonical.
  const a = e.anon;
  if (![a.integratedTime, a.logIndex].every(Number.isSafeInteger)) return 'FAIL:integratedTime or logIndex is not an integer';
  const payload = JSON.stringify({ body: a.body, integratedTime: a.integratedTime, logID: a.logID, logIndex: a.logIndex });
  if (!(await key.verify(utf8(payload), sig))) return `FAIL:the signature over {body, integratedTime, logID, logIndex} does not verify with the ${keyName(place)}`;
  return `the log key signed this body at index ${a.logIndex}, time ${new Date(a.integratedTime * 1000).toISOString()}`;
}

// A frozen shard's entry is compared with the shard's final checkpoint (signed by the shard's key),
// not with the active tree the page follows.
async function consistencyStep(ctx: VerifyContext, cp: Checkpoint | string, place: Place): Promise<string> {
  let first = ctx.first;
  if (place.frozen) {
    const note = parseNote(place.frozen.signedTreeHead);
    const last = typeof note === 'string' ? note : parseCheckpoint(note.text);
    if (typeof note === 'string' || typeof last === 'string') return `FAIL:the frozen shard's final checkpoint is malformed: ${typeof note === 'string' ? note : last}`;
    const why = await verifyLogSignature(note, (last as Checkpoint).origin, place.key);
    if (why) return `FAIL:the frozen shard's final checkpoint: ${why}`;
    first = last as Checkpoint;
  }
  if (!first) return 'FAIL:the page has no verified first checkpoint to compare with';
  if (typeof cp === 'string') return `FAIL:${cp}`;
  const [a, b] = first.size <= cp.size ? [first, cp] : [cp, first];
  let hashes: Uint8Array[] = [];
  if (a.size !== b.size && a.size !== 0) {
    const proof = await api.consistency(a.size, b.size, place.frozen?.treeID);
    const parsed = proof.hashes.map((h) => fromHex(h));
    if (parsed.some((h) => !h || h.length !== 32)) return 'FAIL:a consistency proof hash is not 32 bytes of hex';
    hashes = parsed as Uint8Array[];
  }
  const why = await verifyConsistency(a.size, b.size, a.rootHash, b.rootHash, hashes);
  if (why) return `FAIL:tree ${a.size} and tree ${b.size}: ${why}`;
  if (place.frozen) {
    return a.size === b.size ? `the frozen shard's final tree (size ${a.size}, same root)` : `tree ${a.size} is a prefix of the frozen shard's final tree ${b.size} (${hashes.length} proof hashes)`;
  }
  return a.size === b.size ? `the same tree as first seen (size ${a.size}, same root)` : `tree ${a.size} (first seen) is a prefix of tree ${b.size} (${hashes.length} proof hashes)`;
}

const STEPS: { id: Step['id']; title: string }[] = [
  { id: 'leaf', title: 'Leaf hash recomputed from the body' },
  { id: 'inclusion', title: 'Inclusion proof to the checkpoint root' },
  { id: 'checkpoint', title: 'Checkpoint signed by the log key' },
  { id: 'set', title: 'Signed entry timestamp' },
  { id: 'consistency', title: 'Checkpoint consistent with the first one seen' },
];

/** STEP_TITLES lists the steps in the order verify runs them. */
export const STEP_TITLES = STEPS;

/** verify runs every step on e (a failure does not stop the others) and reports each as it finishes. */
export async function verify(e: RawEntry, ctx: VerifyContext, report: (s: Step) => void): Promise<Step[]> {
  const body = fromBase64(e.anon.body) ?? new Uint8Array();
  const note = parseNote(e.anon.verification?.inclusionProof?.checkpoint ?? '');
  const cp = typeof note === 'string' ? note : parseCheckpoint(note.text);
  const placed = placeOf(e, ctx.key);
  placed.catch(() => {}); // each step that needs it reports the failure
  const runs: Record<Step['id'], () => Promise<string>> = {
    leaf: () => leafStep(e, body),
    inclusion: async () => inclusionStep(e, body, cp, await placed),
    checkpoint: async () => checkpointStep(e, await placed, cp),
    set: async () => setStep(e, await placed),
    consistency: async () => consistencyStep(ctx, cp, await placed),
  };
  const out: Step[] = [];
  for (const s of STEPS) {
    let r: string;
    try {
      r = await runs[s.id]();
    } catch (err) {
      r = `FAIL:${(err as Error).message}`;
    }
    const ok = !r.startsWith('FAIL:');
    const step = { ...s, ok, detail: ok ? r : r.slice(5) };
    out.push(step);
    report(step);
  }
  return out;
}
