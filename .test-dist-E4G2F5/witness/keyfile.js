import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import { loadOrCreateKey } from '../log/index.js';
import { generateKey } from '../note/index.js';
/** WITNESS_KEY_FILE is the generated witness key inside the data directory. */
export const WITNESS_KEY_FILE = 'witness-key.pem';
/**
 * loadOrCreateWitnessKey returns the witness's Ed25519 cosigning key: from keyFile when given,
 * else from the data directory, generated there (mode 0600) on first start. Loading goes through
 * the log's key loader, which refuses key files readable by group or others.
 */
export function loadOrCreateWitnessKey(dataDir, keyFile) {
    const path = keyFile ?? join(dataDir, WITNESS_KEY_FILE);
    let created = false;
    if (!keyFile && !existsSync(path)) {
        writeFileSync(path, generateKey('ed25519'), { mode: 0o600, flag: 'wx' });
        created = true;
    }
    const { key } = loadOrCreateKey(dataDir, path, 'ed25519');
    if (key.type !== 'ed25519')
        throw new CairnError('CONFIG', `witness key ${path} is ${key.type}; cosignature/v1 needs Ed25519`);
    return { key, path, created };
}
