// Child process for signal-latch.test.ts: a SIGTERM sent to itself after SignalLatch.arm() (or,
// with "bare", with nothing armed) and before stopOnSignal takes the signals over.
import { SignalLatch, stopOnSignal } from '../../src/cli/signals.js';

const latch = new SignalLatch();
if (process.argv[2] !== 'bare') latch.arm();
process.kill(process.pid, 'SIGTERM');
await new Promise((r) => setTimeout(r, 100)); // the signal is delivered here, before any handler of stopOnSignal
const code = await stopOnSignal(
  { stop: async () => void process.stdout.write('stopped\n') },
  { stopping: (sig) => void process.stdout.write(`stopping on ${sig}\n`), failed: () => {} },
  latch,
);
process.stdout.write(`listeners ${process.listenerCount('SIGTERM')}\n`);
process.exit(code);
