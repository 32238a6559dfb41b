import type { ServerResponse } from 'node:http';

/**
 * Reply is a handler's whole answer, whatever transport carries it: status, headers and body.
 * writeReply is the one place a Reply becomes bytes on a response.
 */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
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

/** writeReply writes r on res with its Content-Length (a HEAD request's response carries no body: node drops it). */
export function writeReply(res: ServerResponse, r: Reply): void {
  res.statusCode = r.status;
  for (const name in r.headers) res.setHeader(name, r.headers[name]);
  res.setHeader('Content-Length', typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body.length);
  res.end(r.body);
}
