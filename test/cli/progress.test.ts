import { describe, expect, it } from 'vitest';
import { Progress } from '../../src/cli/progress.js';

function sink(isTTY: boolean): { isTTY: boolean; text: string; write(s: string): void } {
  return { isTTY, text: '', write(s) { this.text += s; } };
}

describe('Progress', () => {
  it('on a terminal rewrites one line at most every 100 ms, with the share done, the rate and the time left; end clears it', () => {
    let now = 0;
    const out = sink(true);
    const p = new Progress('verify-db', 'entries', out, () => now);
    p.update(10, 100); // too soon after the start
    expect(out.text).toBe('');
    now = 1000;
    p.update(250, 1000);
    expect(out.text).toBe('\r\x1b[2Kverify-db: 250 / 1,000 entries (25%), about 3 s left, 250/s');
    now = 1050;
    p.update(300, 1000);
    expect(out.text.split('\r').length).toBe(2); // throttled
    now = 2000;
    p.update(1000, 1000);
    expect(out.text.endsWith('verify-db: 1,000 / 1,000 entries (100%), 500/s')).toBe(true);
    p.end();
    expect(out.text.endsWith('\r\x1b[2K')).toBe(true);
  });

  it('elsewhere prints a whole line every 10 s and nothing for a short run', () => {
    let now = 0;
    const out = sink(false);
    const p = new Progress('export', 'entries', out, () => now);
    now = 9_999;
    p.update(5, 10);
    p.end();
    expect(out.text).toBe('');
    now = 10_000;
    p.update(100_000);
    expect(out.text).toBe('export: 100,000 entries, 10,000/s\n');
    p.end();
    expect(out.text).toBe('export: 100,000 entries, 10,000/s\n');
  });
});
