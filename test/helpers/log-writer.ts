// Child process for reliability tests: appends entries through the Log API with 32 concurrent
// clients until killed. After each receipt resolves (its batch committed) it prints
// "ACK <index> <leafhex> <checkpoint size> <checkpoint root hex>". Stdout to a pipe is synchronous
// on Linux, so a printed ACK happened before any SIGKILL that follows it. With a heartbeat it also
// re-signs while idle, so kills land between heartbeats and batches alike.
import { Log } from '../../src/log/index.js';

const [dataDir, origin, salt, heartbeat = '0'] = process.argv.slice(2);
const log = Log.open({ dataDir, origin, heartbeatMs: Number(heartbeat), maxBatch: 128 });
let i = 0;
async function client(): Promise<void> {
  for (;;) {
    const n = i++;
    const body = new TextEncoder().encode(JSON.stringify({ salt, n, pad: 'x'.repeat(n % 300) }));
    const r = await log.append({ body, kind: 'test', indexKeys: [`n:${salt}:${n}`] });
    const cp = r.checkpoint;
    process.stdout.write(`ACK ${r.entry.index} ${Buffer.from(r.entry.leafHash).toString('hex')} ${cp.size} ${Buffer.from(cp.rootHash).toString('hex')}\n`);
    // Every so often pause, so heartbeats (re-signing) get a chance to run between batches.
    if (n % 200 === 199) await new Promise((r) => setTimeout(r, 20));
  }
}
process.stdout.write(`READY ${log.size}\n`);
for (let c = 0; c < 32; c++) void client();
