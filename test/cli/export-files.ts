// What an export directory holds, and what the tlog-tiles spec says it should hold for a size.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseCheckpoint, splitNote } from '../../src/note/index.js';
import { specTilePath, specWidth } from '../tiles/spec-reader.js';

/** files lists every file under dir, relative to it, sorted. */
export function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
}

/** expected lists the paths a tree of size s has, from the spec's width rule alone. */
export function expected(s: number): string[] {
  const out = ['checkpoint'];
  for (let l = 0; Math.floor(s / 256 ** l) > 0; l++) {
    for (let n = 0; ; n++) {
      const w = specWidth(s, l, n);
      if (w === 0) break;
      out.push(specTilePath(l, n, w));
      if (l === 0) out.push(specTilePath('entries', n, w));
    }
  }
  return out;
}

/** ExportFollower is a running `cairn export … --follow --interval 1` child. */
export interface ExportFollower {
  /** waitFor resolves once the exported checkpoint has this size (30 s at most). */
  waitFor(size: number): Promise<void>;
  /** stop sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
  /** kill ends the child at once if it still runs (for finally blocks). */
  kill(): void;
  /** output is everything it printed so far. */
  output(): string;
}

/** followExport spawns `cairn export <source args> --to out --follow --interval 1`. */
export function followExport(source: string[], out: string): ExportFollower {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'export', ...source, '--to', out, '--follow', '--interval', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const exportedSize = (): number => {
    try {
      return parseCheckpoint(splitNote(readFileSync(join(out, 'checkpoint'), 'utf8')).text).size;
    } catch {
      return -1;
    }
  };
  return {
    async waitFor(size) {
      for (const t0 = Date.now(); exportedSize() !== size; ) {
        if (Date.now() - t0 > 30_000) throw new Error(`export never reached size ${size}:\n${text}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
    output: () => text,
  };
}
