// Child process for the shutdown test: the real `cairn serve` (options parsed as the CLI parses
// them, same shutdown path) plus 16 writers appending through the Log API. It prints
// "ACK <index> <leafhex>" after each receipt resolves, and exits with serve's exit code.
import { parseOptions } from '../../src/cli/config.js';
import { SERVE_OPTIONS, serve, untilSignal } from '../../src/cli/serve.js';

const { values } = parseOptions(SERVE_OPTIONS, process.argv.slice(2), process.env);
const running = await serve(values);
let i = 0;
let stopped = 0;
async function writer(): Promise<void> {
  for (;;) {
    const n = i++;
    const body = new TextEncoder().encode(JSON.stringify({ n, pad: 'x'.repeat(n % 200) }));
    try {
      const r = await running.log.append({ body, kind: 'test', indexKeys: [`n:${n}`] });
      process.stdout.write(`ACK ${r.entry.index} ${Buffer.from(r.entry.leafHash).toString('hex')}\n`);
    } catch (e) {
      // After SIGTERM the log refuses new entries: the writer stops (anything else is a failure).
      process.stdout.write(`REFUSED ${(e as { code?: string }).code}\n`);
      stopped++;
      return;
    }
  }
}
for (let w = 0; w < 16; w++) void writer();
const code = await untilSignal(running);
process.stdout.write(`EXIT ${code} writers-stopped ${stopped}\n`);
process.exit(code);
