import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import { generateTsa } from './certs.js';
import { TimestampAuthority } from './tsa.js';
/** TSA_KEY_FILE and TSA_CHAIN_FILE name the generated TSA key and chain inside the data directory. */
export const TSA_KEY_FILE = 'tsa-key.pem';
export const TSA_CHAIN_FILE = 'tsa-chain.pem';
/**
 * openTsa returns the timestamp authority: from keyFile and chainFile when given, else from the
 * data directory, generating a key (mode 0600) and a two-certificate chain there on first start.
 * Bad or mismatched files → CairnError CONFIG.
 */
export function openTsa(f) {
    if (Boolean(f.keyFile) !== Boolean(f.chainFile))
        throw new CairnError('CONFIG', '--tsa-key and --tsa-cert-chain go together: give both or neither');
    const keyPath = f.keyFile ?? join(f.dataDir, TSA_KEY_FILE);
    const chainPath = f.chainFile ?? join(f.dataDir, TSA_CHAIN_FILE);
    if (!f.keyFile && !existsSync(keyPath)) {
        mkdirSync(f.dataDir, { recursive: true });
        const g = generateTsa(f.name, new Date((f.now ?? Date.now)()));
        // The chain first: a key without its chain would be unusable, a chain without its key is regenerated.
        writeFileSync(chainPath, g.chainPem);
        writeFileSync(keyPath, g.keyPem, { mode: 0o600, flag: 'wx' });
    }
    for (const p of [keyPath, chainPath])
        if (!existsSync(p))
            throw new CairnError('CONFIG', `TSA file ${p} does not exist`);
    if (statSync(keyPath).mode & 0o077)
        throw new CairnError('CONFIG', `TSA key file ${keyPath} is readable by others; fix it with: chmod 600 ${keyPath}`);
    let key;
    try {
        key = createPrivateKey(readFileSync(keyPath));
    }
    catch {
        throw new CairnError('CONFIG', `TSA key file ${keyPath} is not a PEM private key`);
    }
    if (key.asymmetricKeyType !== 'ec')
        throw new CairnError('CONFIG', `TSA key must be ECDSA (P-256, P-384 or P-521), not ${key.asymmetricKeyType}`);
    const chain = parseChain(readFileSync(chainPath, 'utf8'), chainPath);
    try {
        return new TimestampAuthority({ key, chain, now: f.now });
    }
    catch (e) {
        if (e instanceof CairnError)
            throw e;
        throw new CairnError('CONFIG', `TSA key or chain unusable: ${e.message}`);
    }
}
function parseChain(pem, path) {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0)
        throw new CairnError('CONFIG', `TSA chain file ${path} holds no PEM certificates`);
    return blocks.map((b, i) => {
        try {
            return new Uint8Array(new X509Certificate(b).raw);
        }
        catch {
            throw new CairnError('CONFIG', `TSA chain file ${path}: certificate ${i} does not parse`);
        }
    });
}
