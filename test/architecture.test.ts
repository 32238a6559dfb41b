import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Dependencies point one way: (threads, merkle) → (note, kinds) → storage → (log, tsa) → witness → api → cli.
// A folder may import itself, folders of a lower rank (only through their index.ts), node:
// built-ins, packages, and the leaf modules src/errors.ts, src/version.ts, src/native.ts and src/durable-file.ts.
const RANK: Record<string, number> = { threads: 0, merkle: 0, note: 1, kinds: 1, client: 2, storage: 2, log: 3, tsa: 3, witness: 4, api: 5, cli: 6 };
const SRC = join(import.meta.dirname, '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('architecture', () => {
  it('imports only point left, and only through a folder\'s index.ts', () => {
    const bad: string[] = [];
    for (const file of files(SRC)) {
      const from = relative(SRC, file).split('/')[0];
      if (!(from in RANK)) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.\.?\/[^']+)'/g)) {
        const path = relative(SRC, join(file, '..', m[1]));
        const target = path.split('/')[0];
        if (target === from || path === 'errors.js' || path === 'version.js' || path === 'native.js' || path === 'durable-file.js') continue;
        if (!(target in RANK) || RANK[target] >= RANK[from]) bad.push(`${relative(SRC, file)} imports ${m[1]}`);
        else if (!path.endsWith('/index.js')) bad.push(`${relative(SRC, file)} imports ${m[1]} (not through index.js)`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('has no import cycles, inside a folder or across folders', () => {
    const graph = new Map<string, string[]>();
    for (const file of files(SRC)) {
      const deps = [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.\.?\/[^']+)'/g)].map((m) => join(file, '..', m[1]).replace(/\.js$/, '.ts'));
      graph.set(file, deps);
    }
    // Depth-first search; a dependency still on the stack closes a cycle.
    const cycles: string[] = [];
    const done = new Set<string>();
    const stack: string[] = [];
    const visit = (f: string): void => {
      stack.push(f);
      for (const d of graph.get(f) ?? []) {
        const at = stack.indexOf(d);
        if (at >= 0) cycles.push([...stack.slice(at), d].map((x) => relative(SRC, x)).join(' -> '));
        else if (!done.has(d)) visit(d);
      }
      stack.pop();
      done.add(f);
    };
    for (const f of graph.keys()) if (!done.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  // The explorer's browser code (web/src) is its own graph: it may import only its own files (no
  // node: built-ins, no packages, nothing from src/), and nothing in src/ imports it.
  it('keeps the browser code in web/src apart from the server', () => {
    const WEB = join(import.meta.dirname, '..', 'web', 'src');
    const bad: string[] = [];
    for (const file of files(WEB)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        if (!m[1].startsWith('./') || m[1].includes('..')) bad.push(`web/src/${relative(WEB, file)} imports ${m[1]}`);
      }
    }
    for (const file of files(SRC)) {
      if (/['"][./]*web\//.test(readFileSync(file, 'utf8'))) bad.push(`${relative(SRC, file)} refers to web/`);
    }
    expect(bad).toEqual([]);
  });
});
