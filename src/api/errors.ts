import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Response } from 'express';
import { CairnError, type ErrorCode } from '../errors.js';

/** STATUS maps each error code to its HTTP status: the only place this mapping lives. */
export const STATUS: Record<ErrorCode, number> = {
  INVALID_ENTRY: 400,
  UNSUPPORTED_KIND: 400,
  BAD_REQUEST: 400,
  BAD_PROOF: 400,
  MALFORMED_NOTE: 400,
  BAD_SIGNATURE: 400,
  NOT_FOUND: 404,
  DUPLICATE: 409,
  INCONSISTENT: 409,
  TOO_LARGE: 413,
  PUSHBACK: 503,
  UNAVAILABLE: 503,
  CONFIG: 500,
  CORRUPT: 500,
};

/** sendError writes Rekor's error body {code, message}; overload also gets Retry-After. */
export function sendError(res: Response, status: number, message: string): void {
  if (status === 503) res.set('Retry-After', '1');
  res.status(status).json({ code: status, message });
}

/**
 * writeError writes on a bare node:http response the bytes sendError writes through express
 * (res.json: the same JSON, Content-Type with charset, Content-Length), for the fast paths.
 */
export function writeError(res: ServerResponse, status: number, message: string): void {
  if (status === 503) res.setHeader('Retry-After', '1');
  const body = JSON.stringify({ code: status, message });
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** errorStatus is how errorHandler answers err: coded errors by the table, body-parser errors by their status, the rest 500. */
export function errorStatus(err: unknown): { status: number; message: string } {
  if (err instanceof CairnError) return { status: STATUS[err.code], message: err.message };
  const e = err as { status?: unknown; type?: unknown; message?: string } | undefined;
  const status = typeof e?.status === 'number' && e.status >= 400 && e.status < 500 ? e.status : 500;
  if (status === 500) return { status, message: 'internal error' };
  const message = e!.type === 'entity.too.large' ? 'request body too large' : e!.type === 'entity.parse.failed' ? 'request body is not valid JSON' : (e!.message ?? 'bad request');
  return { status, message };
}

/** errorHandler answers every error as JSON (errorStatus); internal errors are also written to stderr. */
export const errorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  if (res.headersSent) return;
  const { status, message } = errorStatus(err);
  if (status === 500 && !(err instanceof CairnError)) console.error('cairn: internal error', err);
  sendError(res, status, message);
};
