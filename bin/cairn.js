#!/usr/bin/env -S node --max-semi-space-size=64
// (A larger young generation: see "Memory" in README.md.)
// Runs the TypeScript CLI through tsx so `cairn` works from a plain `npm install` with no build step.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
