import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../src/cli/config.js';
import { main } from '../../src/cli/main.js';
import { SERVE_OPTIONS, serve } from '../../src/cli/serve.js';
import { WITNESS_OPTIONS, runWitness } from '../../src/cli/witness.js';
import { Log } from '../../src/log/index.js';
import { c2spVerifier, openCheckpoint, parseVerifierKey, verifierKeyString } from '../../src/note/index.js';
import { body, tempDir } from '../helpers/test-log.js';
import { bodyOf, specCheck, stopAfterTest } from './helpers.js';

const ORIGIN = 'e2e.test.example/log';

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('cairn serve --witness with cairn witness', () => {
  it('serves /checkpoint with a valid cosignature after appends, round after round', async () => {
    const logDir = tempDir();
    // Create the log once to learn its vkey, as an operator would from `cairn serve`'s output.
    const first = Log.open({ dataDir: logDir, origin: ORIGIN, heartbeatMs: 0 });
    const logVkey = verifierKeyString(ORIGIN, first.key);
    await first.close();

    const w = stopAfterTest(
      await runWitness(parseOptions(WITNESS_OPTIONS, ['--port', '0', '--data', tempDir(), '--name', 'w1.test.example/witness', '--log', `${ORIGIN}=${logVkey}`], {}).values, () => {}),
    );
    const argv = ['--port', '0', '--data', logDir, '--origin', ORIGIN, '--heartbeat', '0', '--witness', `w1.test.example/witness=${w.witness.vkey}@${w.url}`];
    const running = stopAfterTest(await serve(parseOptions(SERVE_OPTIONS, argv, {}).values, pino({ level: 'silent' })));
    const verifiers = [c2spVerifier(ORIGIN, running.log.key), parseVerifierKey(w.witness.vkey)];

    let n = 0;
    for (const batch of [1, 5, 20]) {
      await Promise.all(Array.from({ length: batch }, () => running.log.append({ body: body(n++), kind: 'test', indexKeys: [] })));
      const note = await waitFor(`a cosigned checkpoint of size ${n}`, async () => {
        const text = await (await fetch(`${running.url}/checkpoint`)).text();
        const opened = openCheckpoint(text, verifiers);
        return opened.checkpoint.size === n && opened.verified.length === 2 ? text : undefined;
      });
      const lines = note.slice(note.lastIndexOf('\n\n') + 2).split(/(?<=\n)/);
      expect(lines).toHaveLength(2);
      specCheck(bodyOf(note), lines[1], w.witness.vkey);
      expect(w.witness.latest(ORIGIN)?.size).toBe(n);
    }
    // The cosignature age reaches the metrics.
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    const age = /^cairn_witness_cosignature_age_seconds\{witness="w1\.test\.example\/witness"\} (\S+)$/m.exec(metrics);
    expect(age).not.toBeNull();
    expect(Number(age![1])).toBeLessThan(60);
    await running.stop();
    expect(running.log.closed).toBe(true);
  });

  it('checks the witnessing options', async () => {
    const repeated = parseOptions(WITNESS_OPTIONS, ['--log', 'a', '--log', 'b,c'], {}).values;
    expect(repeated.log).toBe('a,b,c');
    const file = join(tempDir(), 'witness.json');
    writeFileSync(file, JSON.stringify({ log: ['a', 'b'], name: 'w.example/1' }));
    expect(parseOptions(WITNESS_OPTIONS, ['--config', file], {}).values.log).toBe('a,b');
    expect(parseOptions(WITNESS_OPTIONS, [], { CAIRN_WITNESS_LOGS: 'a,b' }).values.log).toBe('a,b');
    // Not repeatable: a later flag still replaces an earlier one.
    expect(parseOptions(WITNESS_OPTIONS, ['--name', 'x', '--name', 'y'], {}).values.name).toBe('y');
    const errors: string[] = [];
    const orig = console.error;
    console.error = (m: string) => errors.push(m);
    try {
      expect(await main(['witness', '--data', tempDir(), '--log', 'x'])).toBe(2);
      expect(await main(['witness', '--data', tempDir(), '--name', 'w.example/1'])).toBe(2);
      expect(await main(['serve', '--data', tempDir(), '--port', '0', '--witness-quorum', '1'])).toBe(2);
      expect(await main(['serve', '--data', tempDir(), '--port', '0', '--witness', 'nonsense'])).toBe(2);
    } finally {
      console.error = orig;
    }
    expect(errors.join('\n')).toMatch(/--name is required/);
    expect(errors.join('\n')).toMatch(/--log is required/);
    expect(errors.join('\n')).toMatch(/--witness-quorum needs --witness/);
    expect(errors.join('\n')).toMatch(/--witness nonsense/);
  });
});
