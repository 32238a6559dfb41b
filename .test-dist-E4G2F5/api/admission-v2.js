/**
 * Admission of a Rekor v2 upload's raw body: strict UTF-8 JSON, then the kinds module's
 * admitCreateEntryRequest. Imports only errors and kinds, so the admission worker threads
 * (admit-worker.ts) run it as they run v1 admission.
 */
import { CairnError } from '../errors.js';
import { admitCreateEntryRequest } from '../kinds/index.js';
const UTF8 = new TextDecoder('utf-8', { fatal: true });
/**
 * admitV2Body validates, verifies and canonicalizes a CreateEntryRequest body. Throws CairnError
 * BAD_REQUEST for a body that is not UTF-8 JSON, and admitCreateEntryRequest's errors otherwise.
 */
export function admitV2Body(bytes) {
    let text;
    try {
        text = UTF8.decode(bytes);
    }
    catch {
        throw new CairnError('BAD_REQUEST', 'request body is not UTF-8');
    }
    let json;
    try {
        json = JSON.parse(text);
    }
    catch {
        throw new CairnError('BAD_REQUEST', 'request body is not valid JSON');
    }
    return admitCreateEntryRequest(json);
}
