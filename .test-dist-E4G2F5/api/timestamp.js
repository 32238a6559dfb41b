/**
 * The timestamp authority's HTTP API, as sigstore's timestamp-authority serves it: POST
 * /api/v1/timestamp with a DER TimeStampReq (application/timestamp-query) or its JSON form
 * (application/json) answers 201 with a DER TimeStampResp (application/timestamp-reply); GET
 * /api/v1/timestamp/certchain answers the PEM chain. Bad requests get 400 {code, message}.
 */
import { isCairnError } from '../errors.js';
import { MAX_REQUEST, parseJsonRequest, parseTimeStampReq } from '../tsa/index.js';
import { errorReply } from './reply.js';
function tsaError(status, message) {
    return errorReply(status, message);
}
/**
 * timestampReply answers a timestamp request body. The form is chosen by Content-Type, or, when
 * it is neither of the two, by the body's first byte (a DER SEQUENCE or a JSON object).
 */
export function timestampReply(tsa, contentType, body) {
    const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
    if (body.length > MAX_REQUEST)
        return tsaError(413, `timestamp request is longer than ${MAX_REQUEST} bytes`);
    const json = type === 'application/json' || (type !== 'application/timestamp-query' && body[0] === 0x7b);
    let req;
    try {
        if (json) {
            let parsed;
            try {
                parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
            }
            catch {
                return tsaError(400, 'timestamp request is not valid JSON');
            }
            req = parseJsonRequest(parsed);
        }
        else {
            req = parseTimeStampReq(body);
        }
        const der = tsa.timestamp(req);
        return { status: 201, headers: { 'Content-Type': 'application/timestamp-reply' }, body: Buffer.from(der.buffer, der.byteOffset, der.length) };
    }
    catch (e) {
        if (isCairnError(e, 'BAD_REQUEST'))
            return tsaError(400, e.message);
        throw e;
    }
}
/** timestampRoutes are the TSA's routes. */
export function timestampRoutes(tsa) {
    const chain = tsa.certChainPem();
    return [
        { method: 'POST', path: '/api/v1/timestamp', handler: (req) => timestampReply(tsa, req.headers['content-type'], req.body) },
        { method: 'GET', path: '/api/v1/timestamp/certchain', handler: () => ({ status: 200, headers: { 'Content-Type': 'application/pem-certificate-chain' }, body: chain }) },
    ];
}
