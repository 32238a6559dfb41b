import { readFileSync } from 'node:fs';
/**
 * VERSION is this build's version, read from package.json (src/ under tsx and dist/ when compiled
 * both sit one folder below it), so an operator can tell which build answers. Imports only node:.
 */
export const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
