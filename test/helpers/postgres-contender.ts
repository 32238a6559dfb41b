/**
 * A sequencer contender in its own process (test/storage/postgres-election.test.ts): campaigns
 * for the lead of CAIRN_PG_SCHEMA and, while it leads, commits one-entry batches, checking its
 * role right before "signing" each checkpoint as the log does. Prints one JSON event per line:
 * lead, signed, committed, refused, lost (with Date.now() in t). Ends when its parent says so.
 */
import { createHash } from 'node:crypto';
import { PostgresStorage } from '../../src/storage/index.js';

const name = process.env.CAIRN_PG_NAME!;
const say = (ev: string, x: object = {}) => process.stdout.write(JSON.stringify({ ev, name, t: Date.now(), ...x }) + '\n');
const sha = (s: string) => createHash('sha256').update(s).digest();

const s = await PostgresStorage.open({ url: process.env.CAIRN_PG_URL!, schema: process.env.CAIRN_PG_SCHEMA!, lead: false, leaseMs: Number(process.env.CAIRN_PG_LEASE ?? 1000) });
for (;;) {
  if (!(await s.campaign(60_000))) continue;
  const epoch = s.epoch!;
  say('lead', { epoch, size: await s.count() });
  s.onLost((why) => say('lost', { epoch, why }));
  while (s.role === 'leader') {
    const size = await s.count();
    const body = Buffer.from(`${name} ${size}`);
    // Sign only while leading: the role check and the signature are one synchronous step.
    if (s.role !== 'leader') break;
    const c2sp = `${name} epoch ${epoch} size ${size + 1}\n`;
    say('signed', { epoch, size: size + 1 });
    try {
      await s.commit({
        oldSize: size,
        entries: [{ index: size, leafHash: sha(`leaf ${name} ${size} ${epoch}`), body, kind: 'test', integratedTime: 1 }],
        keys: [[]],
        tiles: [{ level: 0, index: Math.floor(size / 256), data: sha(`tile ${size}`) }],
        checkpoint: { size: size + 1, rootHash: sha(`root ${name} ${size + 1}`), signedAt: Date.now(), c2sp, rekor: c2sp },
      });
      say('committed', { epoch, size: size + 1 });
    } catch (e) {
      say('refused', { epoch, size: size + 1, why: (e as Error).message });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
