// What clients of a log were told, kept across crashes, restarts and failovers, and the checks
// that a log (any node of it) still honours all of it: every acknowledged entry at its index,
// every checkpoint ever seen extended, no upload logged twice. Shared by the single-server crash
// harness (crash-harness.ts) and the multi-node one (cluster-harness.ts).
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/merkle/index.js';
import { c2spVerifier, openCheckpoint, rekorVerifier } from '../../src/note/index.js';
import { hashedrekord, newSigner, type ProposedHashedrekord } from './hashedrekord-gen.js';

export interface LedgerOptions {
  progress?: (line: string) => void;
  random?: () => number;
  /** Older acknowledged entries re-read by UUID each verify (all since the last one are). */
  sampleOld?: number;
  /** Checkpoints seen earlier that each verify proves consistency from (newest first). */
  maxConsistency?: number;
}

export interface LedgerReport {
  rounds: number;
  acknowledged: number;
  unanswered: number;
  refused: number;
  entriesScanned: number;
  uuidChecks: number;
  inclusionProofs: number;
  consistencyProofs: number;
  finalSize: number;
  failures: string[];
}

interface Acked {
  uuid: string;
  index: number;
  body: string;
}

interface Cp {
  size: number;
  rootHex: string;
}

interface EntryJson {
  body: string;
  logIndex: number;
  verification: { inclusionProof: { hashes: string[]; logIndex: number; rootHash: string; treeSize: number; checkpoint: string } };
}

const fromHex = (s: string) => Buffer.from(s, 'hex');

export async function getJson<T>(url: string, init?: RequestInit): Promise<{ status: number; json: T; text: string }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let json: T;
  try {
    json = JSON.parse(text) as T;
  } catch {
    throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status}, body is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, json, text };
}

export function postJson<T>(url: string, body: unknown) {
  return getJson<T>(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** pool runs fn over items with at most n in flight. */
export async function pool<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Outcome of one upload attempt. */
export type UploadOutcome = 'created' | 'unanswered' | 'refused' | 'failed';

/**
 * Ledger keeps what every client was ever told, so each check runs against all of history:
 * acknowledged entries, checkpoints seen, artifact hashes in the log.
 */
export class Ledger {
  private readonly signer = newSigner();
  private readonly acked = new Map<string, Acked>(); // uuid → what the 201 said
  private readonly byIndex = new Map<number, string>(); // index → uuid, from 201s and scans
  private readonly seen = new Map<number, string>(); // size → root hex, every checkpoint any client saw
  private readonly hashAt = new Map<string, number>(); // artifact sha256 → the one index holding it
  private unanswered: ProposedHashedrekord[] = [];
  private scanned = 0;
  private lastRoundStart = 0;
  private readonly random: () => number;
  /** pem is the log's public key (SPKI PEM) every checkpoint seen must verify under. */
  pem = '';
  readonly report: LedgerReport = {
    rounds: 0,
    acknowledged: 0,
    unanswered: 0,
    refused: 0,
    entriesScanned: 0,
    uuidChecks: 0,
    inclusionProofs: 0,
    consistencyProofs: 0,
    finalSize: 0,
    failures: [],
  };

  constructor(
    private readonly origin: string,
    private readonly o: LedgerOptions = {},
  ) {
    this.random = o.random ?? Math.random;
  }

  fail(msg: string): void {
    this.report.failures.push(msg);
    if (this.report.failures.length <= 20) this.o.progress?.(`FAILURE: ${msg}`);
  }

  private see(size: number, rootHex: string, where: string): void {
    const before = this.seen.get(size);
    if (before !== undefined && before !== rootHex) this.fail(`two roots for size ${size} (${where}): ${before} and ${rootHex}`);
    this.seen.set(size, rootHex);
  }

  /**
   * upload sends one new hashedrekord to url and records the answer: a 201 is checked and kept;
   * an upload with no answer, or refused for now (503/429), may be in the log and is re-submitted
   * by the next verify; any other status is a failure.
   */
  async upload(url: string, round: number): Promise<UploadOutcome> {
    const entry = hashedrekord(this.signer);
    let status: number;
    let text: string;
    try {
      const res = await fetch(`${url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(entry), signal: AbortSignal.timeout(30_000) });
      status = res.status;
      text = await res.text();
    } catch {
      this.unanswered.push(entry);
      this.report.unanswered++;
      return 'unanswered';
    }
    if (status === 201) {
      this.onCreated(entry, text, round);
      return 'created';
    }
    if (status === 503 || status === 429) {
      this.unanswered.push(entry);
      this.report.refused++;
      return 'refused';
    }
    this.fail(`round ${round}: POST answered ${status}: ${text.slice(0, 300)}`);
    return 'failed';
  }

  /** observe reads url's current checkpoint and checks it against every one seen (false if unreachable). */
  async observe(url: string, where: string): Promise<boolean> {
    try {
      const { json } = await getJson<{ treeSize: number; rootHash: string; signedTreeHead: string }>(`${url}/api/v1/log`);
      this.checkNote(json.signedTreeHead, json.treeSize, json.rootHash, where);
      return true;
    } catch {
      return false;
    }
  }

  /** checkNote checks a signed checkpoint (Rekor's note signature, or C2SP's as GET /checkpoint serves it) and records its root. */
  checkNote(note: string, size: number, rootHex: string, where: string, style: 'rekor' | 'c2sp' = 'rekor'): void {
    try {
      const { checkpoint } = openCheckpoint(note, [style === 'rekor' ? rekorVerifier(this.origin, this.pem) : c2spVerifier(this.origin, this.pem)]);
      if (checkpoint.size !== size || Buffer.from(checkpoint.rootHash).toString('hex') !== rootHex) this.fail(`${where}: signed note does not match size/root`);
    } catch (e) {
      this.fail(`${where}: checkpoint note does not verify: ${(e as Error).message}`);
    }
    this.see(size, rootHex, where);
  }

  onCreated(entry: ProposedHashedrekord, text: string, round: number): void {
    const obj = JSON.parse(text) as Record<string, EntryJson>;
    const [uuid] = Object.keys(obj);
    const e = obj[uuid];
    const where = `201 for ${uuid} in round ${round}`;
    const p = e.verification.inclusionProof;
    try {
      verifyInclusion(leafHash(Buffer.from(e.body, 'base64')), e.logIndex, p.treeSize, p.hashes.map(fromHex), fromHex(p.rootHash));
      this.report.inclusionProofs++;
    } catch (err) {
      this.fail(`${where}: inclusion proof does not verify: ${(err as Error).message}`);
    }
    this.checkNote(p.checkpoint, p.treeSize, p.rootHash, where);
    if (this.acked.has(uuid)) this.fail(`${where}: UUID acknowledged twice`);
    const prev = this.byIndex.get(e.logIndex);
    if (prev !== undefined && prev !== uuid) this.fail(`${where}: index ${e.logIndex} was already given to ${prev}`);
    const body = JSON.parse(Buffer.from(e.body, 'base64').toString()) as ProposedHashedrekord;
    if (body.spec?.data?.hash?.value !== entry.spec.data.hash.value) this.fail(`${where}: stored body is not the uploaded entry`);
    this.acked.set(uuid, { uuid, index: e.logIndex, body: e.body });
    this.byIndex.set(e.logIndex, uuid);
    this.report.acknowledged++;
  }

  /** verify checks a restarted server against everything clients were told before. */
  async verify(url: string, round: number): Promise<void> {
    const { json: info } = await getJson<{ treeSize: number; rootHash: string; signedTreeHead: string }>(`${url}/api/v1/log`);
    const size = info.treeSize;
    const root = fromHex(info.rootHash);
    this.checkNote(info.signedTreeHead, size, info.rootHash, `restart ${round}`);
    this.report.finalSize = size;

    const checkEntry = (uuid: string, e: EntryJson, where: string) => {
      const p = e.verification.inclusionProof;
      if (p.treeSize !== size || p.rootHash !== info.rootHash) this.fail(`${where}: proof is not to the current checkpoint`);
      try {
        verifyInclusion(leafHash(Buffer.from(e.body, 'base64')), e.logIndex, size, p.hashes.map(fromHex), root);
        this.report.inclusionProofs++;
      } catch (err) {
        this.fail(`${where}: inclusion proof does not verify: ${(err as Error).message}`);
      }
      const a = this.acked.get(uuid);
      if (a && (a.index !== e.logIndex || a.body !== e.body)) this.fail(`${where}: acknowledged as index ${a.index}, now index ${e.logIndex} or a different body`);
    };

    // 1. Scan every index not scanned before: each holds one entry, no UUID or artifact twice.
    const starts: number[] = [];
    for (let i = this.scanned; i < size; i += 10) starts.push(i);
    await pool(starts, 4, async (start) => {
      const want = Array.from({ length: Math.min(10, size - start) }, (_, k) => start + k);
      const { status, json, text } = await postJson<Record<string, EntryJson>[]>(`${url}/api/v1/log/entries/retrieve`, { logIndexes: want });
      if (status !== 200 || !Array.isArray(json) || json.length !== want.length) return this.fail(`retrieve indexes ${start}..: ${status} ${text.slice(0, 200)}`);
      for (let k = 0; k < want.length; k++) {
        const [uuid] = Object.keys(json[k]);
        const e = json[k][uuid];
        const where = `index ${want[k]} after restart ${round}`;
        if (e.logIndex !== want[k]) this.fail(`${where}: entry says index ${e.logIndex}`);
        const prev = this.byIndex.get(e.logIndex);
        if (prev !== undefined && prev !== uuid) this.fail(`${where}: holds ${uuid} but ${prev} was acknowledged there`);
        this.byIndex.set(e.logIndex, uuid);
        checkEntry(uuid, e, where);
        const value = (JSON.parse(Buffer.from(e.body, 'base64').toString()) as ProposedHashedrekord).spec.data.hash.value;
        const other = this.hashAt.get(value);
        if (other !== undefined && other !== e.logIndex) this.fail(`${where}: artifact ${value} is also at index ${other} (logged twice)`);
        this.hashAt.set(value, e.logIndex);
        this.report.entriesScanned++;
      }
    });
    const uuids = new Set<string>();
    for (const [i, u] of this.byIndex) {
      if (i >= size) this.fail(`index ${i} (${u}) was acknowledged but the tree has only ${size} entries`);
      if (uuids.has(u)) this.fail(`UUID ${u} is at two indexes`);
      uuids.add(u);
    }
    this.scanned = size;

    // 2. Every acknowledged entry of the last round, and a sample of older ones, by UUID.
    const all = [...this.acked.values()];
    const recent = all.filter((a) => a.index >= this.lastRoundStart);
    const old = all.filter((a) => a.index < this.lastRoundStart);
    const sample = old.length <= (this.o.sampleOld ?? 200) ? old : Array.from({ length: this.o.sampleOld ?? 200 }, () => old[Math.floor(this.random() * old.length)]);
    const toCheck = [...recent, ...sample];
    const groups: Acked[][] = [];
    for (let i = 0; i < toCheck.length; i += 10) groups.push(toCheck.slice(i, i + 10));
    await pool(groups, 4, async (g) => {
      const { status, json, text } = await postJson<Record<string, EntryJson>[]>(`${url}/api/v1/log/entries/retrieve`, { entryUUIDs: g.map((a) => a.uuid) });
      if (status !== 200 || !Array.isArray(json)) return this.fail(`retrieve by UUID: ${status} ${text.slice(0, 200)}`);
      const got = new Map(json.map((o) => Object.entries(o)[0]));
      for (const a of g) {
        const e = got.get(a.uuid) ?? got.get(a.uuid.slice(-64));
        if (!e) this.fail(`acknowledged entry ${a.uuid} (index ${a.index}) not found by UUID after restart ${round}`);
        else checkEntry(a.uuid, e, `UUID ${a.uuid} after restart ${round}`);
        this.report.uuidChecks++;
      }
    });
    // One by the single-entry routes too, as clients use them.
    const one = toCheck[0];
    if (one) {
      const byUuid = await getJson<Record<string, EntryJson>>(`${url}/api/v1/log/entries/${one.uuid}`);
      const byIdx = await getJson<Record<string, EntryJson>>(`${url}/api/v1/log/entries?logIndex=${one.index}`);
      for (const [how, r] of [['GET by UUID', byUuid], ['GET by index', byIdx]] as const) {
        const e = r.json[one.uuid];
        if (r.status !== 200 || !e) this.fail(`${how} ${one.uuid}: ${r.status} ${r.text.slice(0, 200)}`);
        else checkEntry(one.uuid, e, `${how} after restart ${round}`);
      }
    }
    this.lastRoundStart = size;

    // 3. The tree extends every tree any client saw.
    const empty = this.seen.get(0);
    if (empty !== undefined && empty !== 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855') this.fail(`a client saw a non-empty root for size 0: ${empty}`);
    const sizes = [...this.seen.keys()].filter((s) => s !== size && s !== 0).sort((a, b) => b - a).slice(0, this.o.maxConsistency ?? 1000);
    await pool(sizes, 4, async (s) => {
      if (s > size) return this.fail(`a client saw size ${s} before the kill; the restarted log has only ${size}`);
      const { status, json, text } = await getJson<{ hashes: string[]; rootHash: string }>(`${url}/api/v1/log/proof?firstSize=${s}&lastSize=${size}`);
      if (status !== 200) return this.fail(`consistency ${s}→${size}: ${status} ${text.slice(0, 200)}`);
      try {
        verifyConsistency(s, size, json.hashes.map(fromHex), fromHex(this.seen.get(s)!), root);
        this.report.consistencyProofs++;
      } catch (e) {
        this.fail(`restart ${round}: tree of size ${size} is not consistent with size ${s} seen before: ${(e as Error).message}`);
      }
    });

    // 4. Uploads that got no answer are in the log at most once (the scan counted artifacts);
    // submitting them again now adds each at most once more: 201 if it was lost, 409 if it was in.
    const retry = this.unanswered.splice(0);
    await pool(retry, 4, async (entry) => {
      const inLog = this.hashAt.has(entry.spec.data.hash.value);
      const { status, text } = await postJson(`${url}/api/v1/log/entries`, entry);
      if (status === 201) {
        if (inLog) this.fail(`unanswered upload ${entry.spec.data.hash.value} was in the log and was accepted again`);
        this.onCreated(entry, text, round);
      } else if (status !== 409) this.fail(`re-submitting an unanswered upload: ${status} ${text.slice(0, 200)}`);
      else if (!inLog) this.fail(`re-submitting an unanswered upload got 409 but the scan did not find it`);
    });
    this.o.progress?.(`restart ${round}: size ${size}, ${this.report.entriesScanned} entries scanned, ${toCheck.length} by UUID, ${sizes.length} consistency proofs, ${retry.length} unanswered re-submitted, failures ${this.report.failures.length}`);
  }

}
