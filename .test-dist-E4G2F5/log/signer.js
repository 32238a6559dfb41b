import { c2spSigner, formatCheckpoint, rekorSigner, signNote } from '../note/index.js';
/**
 * CheckpointSigner signs tree heads as C2SP checkpoints. One body, two signed notes: the C2SP one
 * (key ID per signed-note spec, for Go's sumdb/note and C2SP clients) and the Rekor one (exactly one
 * line, key hint = SHA-256(SPKI DER)[:4], which sigstore-js matches and Rekor's Go verifier requires).
 */
export class CheckpointSigner {
    origin;
    key;
    c2sp;
    rekor;
    constructor(origin, key) {
        this.origin = origin;
        this.key = key;
        this.c2sp = c2spSigner(origin, key);
        this.rekor = rekorSigner(origin, key);
    }
    sign(size, rootHash, now) {
        const body = formatCheckpoint({ origin: this.origin, size, rootHash });
        return {
            origin: this.origin,
            size,
            rootHash,
            signedAt: now,
            c2sp: signNote(body, [this.c2sp]),
            rekor: signNote(body, [this.rekor]),
        };
    }
}
