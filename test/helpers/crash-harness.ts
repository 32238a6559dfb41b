// Crash-under-load harness shared by test/reliability/crash-http.test.ts and bench/soak.ts:
// run the real server, drive concurrent hashedrekord uploads over HTTP, SIGKILL it at a random
// moment, restart it on the same data and check, as an outside client, that nothing acknowledged
// was lost or changed and that the tree only ever grew.
import { auditDatabase } from '../../src/log/index.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/merkle/index.js';
import { openCheckpoint, rekorVerifier } from '../../src/note/index.js';
import { hashedrekord, newSigner, type ProposedHashedrekord } from './hashedrekord-gen.js';
import { startServer, type ServerProcess } from './server-process.js';

export const CRASH_ORIGIN = 'crash.cairn.test/log';

export interface CrashOptions {
  dataDir: string;
  rounds: number;
  /** Concurrent uploading clients. */
  clients: number;
  /** The kill lands uniformly at random in [min, max] ms after the load starts. */
  killAfterMs: [number, number];
  heartbeat?: number;
  /** Extra server flags, e.g. ['--max-batch', '64']. */
  serverArgs?: string[];
  /** Older acknowledged entries re-read by UUID each round (all of this round's are). */
  sampleOld?: number;
  /** Checkpoints seen earlier that each round proves consistency from (newest first). */
  maxConsistency?: number;
  progress?: (line: string) => void;
  random?: () => number;
}

export interface CrashReport {
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

async function getJson<T>(url: string, init?: RequestInit): Promise<{ status: number; json: T; text: string }> {
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

function postJson<T>(url: string, body: unknown) {
  return getJson<T>(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** pool runs fn over items with at most n in flight. */
async function pool<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/**
 * CrashHarness keeps what every client was ever told across rounds, so each restart is checked
 * against all of history: acknowledged entries, checkpoints seen, artifact hashes in the log.
 */
export class CrashHarness {
  private readonly signer = newSigner();
  private readonly acked = new Map<string, Acked>(); // uuid → what the 201 said
  private readonly byIndex = new Map<number, string>(); // index → uuid, from 201s and scans
  private readonly seen = new Map<number, string>(); // size → root hex, every checkpoint any client saw
  private readonly hashAt = new Map<string, number>(); // artifact sha256 → the one index holding it
  private unanswered: ProposedHashedrekord[] = [];
  private scanned = 0;
  private pem = '';
  private readonly random: () => number;
  readonly report: CrashReport = {
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

  constructor(private readonly o: CrashOptions) {
    this.random = o.random ?? Math.random;
  }

  private fail(msg: string): void {
    this.report.failures.push(msg);
    if (this.report.failures.length <= 20) this.o.progress?.(`FAILURE: ${msg}`);
  }

  private start(): Promise<ServerProcess> {
    return startServer({ dataDir: this.o.dataDir, heartbeat: this.o.heartbeat ?? 1, args: ['--origin', CRASH_ORIGIN, ...(this.o.serverArgs ?? [])] });
  }

  private see(size: number, rootHex: string, where: string): void {
    const before = this.seen.get(size);
    if (before !== undefined && before !== rootHex) this.fail(`two roots for size ${size} (${where}): ${before} and ${rootHex}`);
    this.seen.set(size, rootHex);
  }

  /** run does every round, then one last restart and check; returns the report. */
  async run(): Promise<CrashReport> {
    for (let round = 0; round < this.o.rounds; round++) {
      const server = await this.start();
      try {
        if (round === 0) this.pem = await (await fetch(`${server.url}/api/v1/log/publicKey`)).text();
        else await this.verify(server, round);
        await this.load(server, round);
      } finally {
        await server.kill('SIGKILL');
      }
      this.report.rounds++;
      // verify-db on the data as the kill left it (before any restart touches it).
      const audit = auditDatabase(this.o.dataDir);
      if (audit.problem) this.fail(`round ${round}: verify-db: ${audit.problem}`);
    }
    const server = await this.start();
    try {
      await this.verify(server, this.o.rounds);
    } finally {
      await server.kill('SIGTERM');
    }
    return this.report;
  }

  /** load runs the clients until a SIGKILL at a random moment. */
  private async load(server: ServerProcess, round: number): Promise<void> {
    const stop = { v: false };
    const url = server.url;
    const before = this.report.acknowledged;
    const client = async () => {
      while (!stop.v) {
        const entry = hashedrekord(this.signer);
        let status: number;
        let text: string;
        try {
          const res = await fetch(`${url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(entry) });
          status = res.status;
          text = await res.text();
        } catch {
          this.unanswered.push(entry); // no answer: it may or may not be in the log
          this.report.unanswered++;
          return;
        }
        if (status === 201) this.onCreated(entry, text, round);
        else if (status === 503 || status === 429) {
          this.unanswered.push(entry);
          this.report.refused++;
          await new Promise((r) => setTimeout(r, 20));
        } else this.fail(`round ${round}: POST answered ${status}: ${text.slice(0, 300)}`);
      }
    };
    const poller = async () => {
      while (!stop.v) {
        try {
          const { json } = await getJson<{ treeSize: number; rootHash: string; signedTreeHead: string }>(`${url}/api/v1/log`);
          this.checkNote(json.signedTreeHead, json.treeSize, json.rootHash, `GET /api/v1/log in round ${round}`);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 30));
      }
    };
    const [lo, hi] = this.o.killAfterMs;
    const killAt = lo + this.random() * (hi - lo);
    // Every third round the uploads pause before the kill, long enough for heartbeats to re-sign
    // the idle checkpoint: the kill may then land on a re-signing, and the poller checks the
    // re-signed checkpoints keep their root.
    const idleMs = round % 3 === 2 ? 1200 + this.random() * 800 : 0;
    const clients = Array.from({ length: this.o.clients }, client);
    const polling = poller();
    await new Promise((r) => setTimeout(r, killAt));
    if (idleMs) {
      stop.v = true;
      await Promise.all(clients);
      stop.v = false;
      const idle = poller();
      await new Promise((r) => setTimeout(r, idleMs));
      stop.v = true;
      await server.kill('SIGKILL');
      await idle;
    } else {
      stop.v = true;
      await server.kill('SIGKILL');
    }
    await Promise.all([...clients, polling]);
    this.o.progress?.(`round ${round}: killed after ${Math.round(killAt)} ms${idleMs ? ` + ${Math.round(idleMs)} ms idle` : ''}, ${this.report.acknowledged - before} uploads acknowledged, ${this.report.unanswered} unanswered so far`);
  }

  private checkNote(note: string, size: number, rootHex: string, where: string): void {
    try {
      const { checkpoint } = openCheckpoint(note, [rekorVerifier(CRASH_ORIGIN, this.pem)]);
      if (checkpoint.size !== size || Buffer.from(checkpoint.rootHash).toString('hex') !== rootHex) this.fail(`${where}: signed note does not match size/root`);
    } catch (e) {
      this.fail(`${where}: checkpoint note does not verify: ${(e as Error).message}`);
    }
    this.see(size, rootHex, where);
  }

  private onCreated(entry: ProposedHashedrekord, text: string, round: number): void {
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
  private async verify(server: ServerProcess, round: number): Promise<void> {
    const url = server.url;
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

  private lastRoundStart = 0;
}
