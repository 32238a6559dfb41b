// Child process for crash tests: appends entries forever, printing "ACK <index> <leafhex>" only
// after each receipt resolves (i.e. after its batch committed). Stdout to a pipe is synchronous on
// Linux, so a printed ACK was acknowledged before any SIGKILL that follows it.
import { Log } from '../../src/log/index.js';

const [dataDir, origin, salt] = process.argv.slice(2);
// Small index runs, so kills land both mid-run and with entries in the in-memory key tail.
const log = Log.open({ dataDir, origin, heartbeatMs: 0, maxBatch: 256, index: { minRun: 300, maxRun: 300 } });
let i = 0;
async function client(): Promise<void> {
  for (;;) {
    const n = i++;
    const body = new TextEncoder().encode(JSON.stringify({ salt, n, pad: 'x'.repeat(n % 300) }));
    const r = await log.append({ body, kind: 'test', indexKeys: [`n:${n}`] });
    process.stdout.write(`ACK ${r.entry.index} ${Buffer.from(r.entry.leafHash).toString('hex')} ${r.checkpoint.size}\n`);
  }
}
process.stdout.write(`READY ${log.size}\n`);
for (let c = 0; c < 32; c++) void client();
