/**
 * Rekor v2's CreateEntryRequest (rekor-tiles api/proto/rekor/v2/entry.proto): a oneof of
 * hashedRekordRequestV002 and dsseRequestV002, in protojson with either field-name style.
 */
import { CairnError } from '../../errors.js';
import { MAX_BODY } from '../limits.js';
import { admitDsseV002 } from './dsse.js';
import { admitHashedRekordV002 } from './hashedrekord.js';
import { message, oneof } from './protojson.js';
/**
 * admitCreateEntryRequest validates, verifies and canonicalizes a CreateEntryRequest
 * (JSON-parsed, untrusted). Throws CairnError INVALID_ENTRY for anything malformed, an
 * algorithm the registry refuses or a signature that does not verify, TOO_LARGE for a body past
 * MAX_BODY; never anything else.
 */
export function admitCreateEntryRequest(json) {
    let admitted;
    try {
        const req = message(json, 'request', [
            ['hashedRekordRequestV002', 'hashed_rekord_request_v002'],
            ['dsseRequestV002', 'dsse_request_v002'],
        ]);
        const [which, spec] = oneof(req, 'request', ['hashedRekordRequestV002', 'dsseRequestV002']);
        admitted = which === 'hashedRekordRequestV002' ? admitHashedRekordV002(spec) : admitDsseV002(spec);
    }
    catch (err) {
        if (err instanceof CairnError)
            throw err;
        // A bug or an unforeseen input shape: refuse the entry rather than crash the request.
        throw new CairnError('INVALID_ENTRY', 'entry could not be processed', { cause: String(err) });
    }
    if (admitted.body.length > MAX_BODY) {
        throw new CairnError('TOO_LARGE', `entry's canonical body is ${admitted.body.length} bytes; at most ${MAX_BODY} (the tlog-tiles entry bundle limit)`);
    }
    return admitted;
}
