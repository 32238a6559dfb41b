import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import { generateKey, loadPrivateKey } from '../note/index.js';
/** KEY_FILE is the name of the generated private key inside the data directory. */
export const KEY_FILE = 'log-key.pem';
/**
 * loadOrCreateKey returns the log's signing key: from keyFile when given, else from the data
 * directory, generating a new key there (mode 0600) on first start. A key file readable by group
 * or others is refused, since anyone who can read it can sign as the log.
 */
export function loadOrCreateKey(dataDir, keyFile, keyType) {
    const path = keyFile ?? join(dataDir, KEY_FILE);
    let created = false;
    if (!existsSync(path)) {
        if (keyFile)
            throw new CairnError('CONFIG', `key file ${keyFile} does not exist`);
        writeFileSync(path, generateKey(keyType), { mode: 0o600, flag: 'wx' });
        created = true;
    }
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) {
        throw new CairnError('CONFIG', `key file ${path} is readable by others (mode ${mode.toString(8)}); fix it with: chmod 600 ${path}`);
    }
    return { key: loadPrivateKey(readFileSync(path, 'utf8')), path, created };
}
