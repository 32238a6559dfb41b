import { writeFileSync } from 'node:fs';
import { CairnError } from '../errors.js';
import { generateKey, isValidKeyName, loadPrivateKey, verifierKeyString } from '../note/index.js';
export const keygenCommand = {
    name: 'keygen',
    summary: 'Write a new PKCS#8 PEM signing key (mode 0600) and print its public key, log ID and note verifier key.',
    usage: 'cairn keygen --out FILE [--type ed25519|ecdsa-p256] [--origin ORIGIN]',
    options: [
        { name: 'out', type: 'string', env: 'CAIRN_KEYGEN_OUT', help: 'File to write the private key to; it must not exist yet.' },
        { name: 'type', type: 'enum', env: 'CAIRN_KEYGEN_TYPE', values: ['ed25519', 'ecdsa-p256'], default: 'ed25519', help: 'Key type.' },
        { name: 'origin', type: 'string', help: 'Log origin the key will sign for; needed to print the note verifier key, which names it.' },
    ],
    run: async (v) => {
        const out = v.out;
        if (!out)
            throw new CairnError('CONFIG', '--out FILE is required: where to write the private key');
        const origin = v.origin;
        if (origin !== undefined && !isValidKeyName(origin))
            throw new CairnError('CONFIG', `--origin: "${origin}" is not a valid note key name`);
        const pem = generateKey(v.type);
        try {
            // wx: never overwrite, since replacing a log's key orphans the log. The mode applies at creation.
            writeFileSync(out, pem, { mode: 0o600, flag: 'wx' });
        }
        catch (e) {
            const code = e.code;
            if (code === 'EEXIST')
                throw new CairnError('CONFIG', `${out} already exists; refusing to overwrite a key (choose another --out or remove it yourself)`);
            throw new CairnError('CONFIG', `cannot write ${out}: ${e.message}`);
        }
        const key = loadPrivateKey(pem);
        console.log(`wrote ${v.type} private key to ${out} (mode 0600)`);
        console.log(`log ID: ${Buffer.from(key.logId).toString('hex')}`);
        if (origin)
            console.log(`note verifier key: ${verifierKeyString(origin, key)}`);
        else
            console.log('note verifier key: pass --origin to print it (it names the log origin)');
        console.log(`public key:\n${key.publicKeyPem.trim()}`);
        return 0;
    },
};
