#!/usr/bin/env node
// Builds the optional native addon (native/prehashed.c) with the node-gyp that npm bundles.
// Runs as the package's `install` script. It never fails the install: without a compiler,
// Python or Node headers, Cairn falls back to pure-JS ECDSA (about 5x slower), so we warn and
// exit 0.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const nativeDir = join(root, 'native');
const built = join(nativeDir, 'build', 'Release', 'prehashed.node');

function warn(msg) {
  process.stderr.write(`cairn: native addon not built (${msg}); using the pure-JS ECDSA fallback\n`);
  process.exit(0);
}

// nodeGyp finds node-gyp's entry script. npm exports it to lifecycle scripts as
// npm_config_node_gyp; run by hand, we look inside the npm that ships next to this node.
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const bin = dirname(process.execPath);
  candidates.push(
    join(bin, '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), // Unix prefix layout
    join(bin, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), // Windows layout
  );
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a dependency of ours; fine
  }
  return candidates.find((p) => p && p.endsWith('.js') && existsSync(p));
}

// localHeaders returns a --nodedir holding this node's own headers (system and nvm installs ship
// include/node), so the build works offline instead of downloading a header tarball.
function localHeaders() {
  if (process.env.npm_config_nodedir) return undefined; // node-gyp reads it itself
  const prefix = resolve(dirname(process.execPath), '..');
  try {
    const h = readFileSync(join(prefix, 'include', 'node', 'node_version.h'), 'utf8');
    const v = ['MAJOR', 'MINOR', 'PATCH'].map((k) => h.match(new RegExp(`#define NODE_${k}_VERSION (\\d+)`))?.[1]).join('.');
    return `v${v}` === process.version ? prefix : undefined;
  } catch {
    return undefined;
  }
}

const gyp = nodeGyp();
if (!gyp) warn('node-gyp not found');
const args = [gyp, 'rebuild'];
const nodedir = localHeaders();
if (nodedir) args.push(`--nodedir=${nodedir}`);
const t0 = Date.now();
// Bounded: offline without local headers, node-gyp would otherwise wait on a download.
const r = spawnSync(process.execPath, args, { cwd: nativeDir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000, encoding: 'utf8' });
if (r.error || r.status !== 0) {
  process.stderr.write((r.stderr ?? '').split('\n').slice(-15).join('\n') + '\n');
  warn(r.error ? r.error.message : `node-gyp exited with ${r.status}`);
}
// Load it once here so a broken build (e.g. unresolved OpenSSL symbols) warns at install time.
try {
  const addon = createRequire(import.meta.url)(built);
  if (addon.verifyDigest(new Uint8Array(1), new Uint8Array(32), new Uint8Array(8)) !== false) throw new Error('self-check failed');
} catch (e) {
  warn(`built but does not load: ${e instanceof Error ? e.message : e}`);
}
process.stdout.write(`cairn: native addon built in ${((Date.now() - t0) / 1000).toFixed(1)} s (${built})\n`);
