/** jsonReply answers a pre-serialized JSON body (Rekor's models are built as strings: rekor-format.ts). */
export function jsonReply(status, json, headers = {}) {
    return { status, headers: { 'Content-Type': 'application/json', ...headers }, body: json };
}
/** errorReply is Rekor's error body {code, message}; overload (503) also gets Retry-After. */
export function errorReply(status, message, headers = {}) {
    const extra = status === 503 ? { 'Retry-After': '1', ...headers } : headers;
    return { status, headers: { ...extra, 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify({ code: status, message }) };
}
/** writeReply writes r on res with its Content-Length (a HEAD request's response carries no body: node drops it). */
export function writeReply(res, r) {
    res.statusCode = r.status;
    for (const name in r.headers)
        res.setHeader(name, r.headers[name]);
    res.setHeader('Content-Length', typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body.length);
    res.end(r.body);
}
