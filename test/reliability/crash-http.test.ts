import { describe, expect, it } from 'vitest';
import { CrashHarness } from '../helpers/crash-harness.js';
import { tempDir } from '../helpers/test-log.js';

describe('crash under HTTP load', () => {
  it('keeps every 201, extends every checkpoint seen and logs no upload twice across SIGKILLs of the real server', async () => {
    const lines: string[] = [];
    const h = new CrashHarness({
      dataDir: tempDir(),
      rounds: 3,
      clients: 12,
      killAfterMs: [400, 2000],
      heartbeat: 1,
      serverArgs: ['--max-batch', '64'],
      progress: (l) => lines.push(l),
    });
    const r = await h.run();
    console.log(lines.join('\n'));
    console.log(`crash-http: ${r.rounds} rounds, ${r.acknowledged} acknowledged, ${r.unanswered} unanswered, ${r.entriesScanned} entries scanned, ${r.uuidChecks} UUID reads, ${r.inclusionProofs} inclusion and ${r.consistencyProofs} consistency proofs verified, final size ${r.finalSize}`);
    expect(r.failures).toEqual([]);
    expect(r.rounds).toBe(3);
    expect(r.acknowledged).toBeGreaterThan(30);
    expect(r.entriesScanned).toBe(r.finalSize);
    expect(r.consistencyProofs).toBeGreaterThan(3);
  }, 90_000);
});
