#!/usr/bin/env node
// Builds the explorer page (web/) into build/explorer/: esbuild bundles web/src/main.ts and
// web/style.css into content-hashed files (served as immutable), index.html names them, and a
// .gz of each is written next to it for clients that accept gzip. Runs from the package's
// `install` script, so `npm install` / `npm ci` build it; tests rebuild it before they start.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'build', 'explorer');

/** bundle returns the minified output of one esbuild entry point. */
async function bundle(entry) {
  const r = await build({ entryPoints: [join(root, entry)], bundle: true, minify: true, write: false, format: 'esm', target: ['chrome110', 'firefox115', 'safari16'], legalComments: 'none', logLevel: 'error' });
  return r.outputFiles[0].contents;
}

const named = (base, ext, bytes) => `${base}.${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.${ext}`;

const js = await bundle('web/src/main.ts');
const css = await bundle('web/style.css');
const files = { [named('app', 'js', js)]: js, [named('app', 'css', css)]: css };
const [jsName, cssName] = Object.keys(files);
const html = readFileSync(join(root, 'web', 'index.html'), 'utf8').replace('{{js}}', jsName).replace('{{css}}', cssName);
files['index.html'] = Buffer.from(html);

// Assets are named by their content, so writing one never changes a file a server is reading;
// index.html is replaced by a rename, atomically. Files of earlier builds are removed last.
mkdirSync(out, { recursive: true });
let gz = 0;
const keep = new Set();
for (const [name, bytes] of Object.entries(files)) {
  const z = gzipSync(bytes, { level: 9 });
  gz += z.length;
  for (const [file, data] of [[`${name}.gz`, z], [name, bytes]]) {
    const tmp = join(out, `.${file}.${process.pid}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(out, file));
    keep.add(file);
  }
}
for (const f of readdirSync(out)) if (!keep.has(f) && !f.startsWith('.')) rmSync(join(out, f), { force: true });
process.stdout.write(`cairn: explorer built in build/explorer (${(gz / 1024).toFixed(1)} KiB gzipped)\n`);
