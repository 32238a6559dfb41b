/**
 * Election and fencing on PostgreSQL with real processes (test/helpers/postgres-contender.ts):
 * after SIGKILL or pg_terminate_backend of the leader another contender leads within 5 s; a leader
 * paused past its lease (SIGSTOP) and resumed commits and signs nothing; no size ever has two
 * roots, and every batch a contender saw committed is stored, by that contender.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { EMPTY_ROOT } from '../../src/merkle/index.js';
import { PostgresStorage } from '../../src/storage/index.js';
import { testDatabase, testSchema } from '../helpers/postgres.js';

const url = await testDatabase();
const LEASE = 1000;

interface Ev { ev: string; name: string; t: number; epoch?: number; size?: number; why?: string }
interface Contender { name: string; child: ChildProcess; events: Ev[] }
const started: Contender[] = [];

function contend(schema: string, name: string): Contender {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/postgres-contender.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CAIRN_PG_URL: url, CAIRN_PG_SCHEMA: schema, CAIRN_PG_NAME: name, CAIRN_PG_LEASE: String(LEASE), PGAPPNAME: `cairn-${name}` },
  });
  const c: Contender = { name, child, events: [] };
  createInterface({ input: child.stdout! }).on('line', (l) => c.events.push(JSON.parse(l) as Ev));
  started.push(c);
  return c;
}

afterEach(() => {
  for (const c of started.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) (c.child.kill('SIGCONT'), c.child.kill('SIGKILL'));
});

async function until<T>(what: string, f: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** leadAfter returns the first lead event after t among the contenders. */
const leadAfter = (cs: Contender[], t: number) => cs.flatMap((c) => c.events).find((e) => e.ev === 'lead' && e.t >= t);
const commits = (c: Contender) => c.events.filter((e) => e.ev === 'committed').length;

async function newLog(): Promise<string> {
  const schema = testSchema();
  const s = await PostgresStorage.open({ url: url!, schema });
  await s.create({ origin: 'election.test/log', publicKeyPem: 'k', treeId: '1' }, { size: 0, rootHash: EMPTY_ROOT, signedAt: 0, c2sp: 'c0\n', rekor: 'r0\n' });
  await s.close();
  return schema;
}

/** checkStored asserts one root per size, entries and head agree, and every acknowledged commit is stored as its committer's. */
async function checkStored(schema: string, cs: Contender[]): Promise<void> {
  const c = new pg.Client(url);
  await c.connect();
  const cps = (await c.query<{ size: string; c2sp: string }>(`SELECT size, c2sp FROM ${schema}.checkpoints ORDER BY size`)).rows;
  const head = Number((await c.query<{ size: string }>(`SELECT size FROM ${schema}.head`)).rows[0].size);
  const entries = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.entries`)).rows[0].n);
  await c.end();
  expect(cps.map((r) => Number(r.size))).toEqual(Array.from({ length: head + 1 }, (_, i) => i));
  expect(entries).toBe(head);
  const bySize = new Map(cps.map((r) => [Number(r.size), r.c2sp]));
  for (const k of cs) for (const e of k.events.filter((x) => x.ev === 'committed')) expect(bySize.get(e.size!)).toBe(`${k.name} epoch ${e.epoch} size ${e.size}\n`);
}

describe.skipIf(!url)('PostgreSQL sequencer election and fencing', () => {
  it('after SIGKILL of the leader, the other contender leads within 5 s', async () => {
    const schema = await newLog();
    const cs = [contend(schema, 'a'), contend(schema, 'b')];
    const first = await until('a leader that commits', () => cs.find((c) => commits(c) >= 5));
    const other = cs.find((c) => c !== first)!;
    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    const lead = await until('a new leader', () => leadAfter([other], killedAt), 5000);
    expect(lead.t - killedAt).toBeLessThan(5000);
    await until('commits by the new leader', () => commits(other) >= 5);
    other.child.kill('SIGKILL');
    await checkStored(schema, cs);
  });

  it('after pg_terminate_backend of the leader\'s connections, it reports the loss and a leader commits again', async () => {
    const schema = await newLog();
    const cs = [contend(schema, 'c'), contend(schema, 'd')];
    const first = await until('a leader that commits', () => cs.find((c) => commits(c) >= 5));
    const cutAt = Date.now();
    const admin = new pg.Client(url);
    await admin.connect();
    const cut = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [`cairn-${first.name}`]);
    await admin.end();
    expect(cut.rowCount).toBeGreaterThan(0);
    await until('the loss reported', () => first.events.find((e) => e.ev === 'lost' && e.t >= cutAt), 5000);
    await until('a new term that commits', () => cs.some((c) => c.events.some((e) => e.ev === 'committed' && e.t > cutAt + 100 && e.epoch! > 1)) || undefined, 5000);
    for (const c of cs) c.child.kill('SIGKILL');
    await checkStored(schema, cs);
  });

  it('a leader paused past its lease (SIGSTOP) then resumed commits nothing and signs nothing', async () => {
    const schema = await newLog();
    const cs = [contend(schema, 'e'), contend(schema, 'f')];
    const stale = await until('a leader that commits', () => cs.find((c) => commits(c) >= 5));
    const other = cs.find((c) => c !== stale)!;
    const staleEpoch = stale.events.filter((e) => e.ev === 'lead').at(-1)!.epoch!;
    stale.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const lead = await until('a new leader', () => leadAfter([other], stoppedAt), 3 * LEASE + 5000);
    await until('commits by the new leader', () => other.events.filter((e) => e.ev === 'committed' && e.t > lead.t).length >= 5);
    const resumedAt = Date.now();
    stale.child.kill('SIGCONT');
    await until('the stale leader to notice', () => stale.events.find((e) => e.ev === 'lost' && e.t >= resumedAt), 5000);
    await new Promise((r) => setTimeout(r, 500));
    const after = stale.events.filter((e) => e.t >= resumedAt && e.epoch === staleEpoch);
    expect(after.filter((e) => e.ev === 'signed' || e.ev === 'committed')).toEqual([]);
    for (const c of cs) c.child.kill('SIGKILL');
    await checkStored(schema, cs);
  });
});
