import type { ServerResponse } from 'node:http';

/**
 * Reply is a handler's whole answer, whatever transport carries it: status, headers and body.
 * writeReply is the one place a Reply becomes bytes on a response.
 */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
  /**
   * fields are headers and Content-Length as writeHead takes them, when worked out once for a
   * reply written many times (readyReply); writeReply works them out otherwise.
   */
  readonly fields?: readonly string[];
}

/** jsonReply answers a pre-serialized JSON body (Rekor's models are built as strings: rekor-format.ts). */
export function jsonReply(status: number, json: string, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'Content-Type': 'application/json', ...headers }, body: json };
}

/** errorReply is Rekor's error body {code, message}; overload (503) also gets Retry-After. */
export function errorReply(status: number, message: string, headers: Record<string, string> = {}): Reply {
  const extra = status === 503 ? { 'Retry-After': '1', ...headers } : headers;
  return { status, headers: { ...extra, 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify({ code: status, message }) };
}

/**
 * readyReply returns r with its fields worked out, frozen: an answer kept to be written again
 * (immutable-cache.ts) costs writeReply no header work a time.
 */
export function readyReply(r: Reply): Reply {
  return Object.freeze({ ...r, headers: Object.freeze({ ...r.headers }), fields: Object.freeze(fieldsOf(r)) });
}

/**
 * writeReply writes r on res with its Content-Length, in one writeHead and one end (a HEAD
 * request's response carries no body: node drops it). Headers set on res before (Connection:
 * close while draining) come first, as setHeader would have put them.
 */
export function writeReply(res: ServerResponse, r: Reply): void {
  res.writeHead(r.status, (r.fields ?? fieldsOf(r)) as string[]);
  res.end(r.body);
}

/** fieldsOf returns r's headers, then its Content-Length, as a flat [name, value, …] list. */
function fieldsOf(r: Reply): string[] {
  const fields: string[] = [];
  for (const name in r.headers) fields.push(name, r.headers[name]);
  fields.push('Content-Length', String(typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body.length));
  return fields;
}
