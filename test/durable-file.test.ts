import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileDurably } from '../src/durable-file.js';

describe('writeFileDurably', () => {
  it('creates missing directories, replaces the file whole, and leaves no temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-durable-'));
    const path = join(dir, 'a', 'b', 'state.json');
    writeFileDurably(path, 'first');
    writeFileDurably(path, new Uint8Array([1, 2, 3]), { syncDir: true, mode: 0o600 });
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['state.json']);
    // The mode applies to the new file (rename keeps the temporary file's mode).
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('keeps the old file and removes the temporary one when the rename fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-durable-'));
    const path = join(dir, 'taken');
    mkdirSync(join(path, 'inside'), { recursive: true });
    expect(() => writeFileDurably(path, 'x')).toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readdirSync(path)).toEqual(['inside']);
  });
});
