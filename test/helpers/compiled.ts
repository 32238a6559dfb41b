import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * compileSrc transpiles src/ file by file into a new directory at dist/'s depth (so the native
 * addon, schema/ and node_modules resolve as from dist/) and returns it; the caller removes it.
 */
export function compileSrc(): string {
  const out = mkdtempSync(join(ROOT, '.test-dist-'));
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
  for (const f of walk(join(ROOT, 'src')).filter((f) => f.endsWith('.ts'))) {
    const js = ts.transpileModule(readFileSync(f, 'utf8'), { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 }, fileName: f }).outputText;
    const to = join(out, relative(join(ROOT, 'src'), f)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, js);
  }
  return out;
}
