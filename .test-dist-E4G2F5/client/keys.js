/**
 * The trust anchor a client is given: a note verifier key ("vkey", c2sp.org/signed-note) or an
 * SPKI PEM public key. A vkey pins the key's name; a PEM key does not, so the checkpoint origin
 * names it. Either yields the two signature conventions Cairn serves: C2SP notes (tlog-tiles
 * /checkpoint) and Rekor notes (/api/v1/log signedTreeHead).
 */
import { CairnError } from '../errors.js';
import { c2spVerifier, parseVerifierKey, publicKeyFromEd25519, publicKeyFromPem, publicKeyFromSpki, rekorVerifier, } from '../note/index.js';
/** parseLogKey reads text: one PEM "PUBLIC KEY" block, or a vkey of type 0x01 (Ed25519) or 0x02 (ECDSA). CONFIG on anything else. */
export function parseLogKey(text) {
    const t = text.trim();
    if (t.startsWith('-----BEGIN')) {
        const pub = publicKeyFromPem(t);
        return { publicKey: pub, c2sp: (o) => [c2spVerifier(o, pub)], rekor: (o) => [rekorVerifier(o, pub)] };
    }
    const v = parseVerifierKey(t); // checks name, key ID and type
    const material = Buffer.from(t.slice(t.indexOf('+', t.indexOf('+') + 1) + 1), 'base64');
    if (material[0] !== 0x01 && material[0] !== 0x02) {
        throw new CairnError('CONFIG', 'a log key must be a vkey of type 0x01 (Ed25519) or 0x02 (ECDSA), not a cosigner key');
    }
    const pub = material[0] === 0x01 ? publicKeyFromEd25519(material.subarray(1)) : publicKeyFromSpki(material.subarray(1));
    // The vkey pins the name: a checkpoint whose signature line names another key does not verify.
    return { name: v.name, publicKey: pub, c2sp: () => [v], rekor: () => [rekorVerifier(v.name, pub)] };
}
