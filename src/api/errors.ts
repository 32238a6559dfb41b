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

/** errorHandler answers every error as JSON: coded errors by the table, body-parser errors by their status, the rest 500. */
export const errorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  if (res.headersSent) return;
  if (err instanceof CairnError) return sendError(res, STATUS[err.code], err.message);
  const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
  if (status === 500) {
    console.error('cairn: internal error', err);
    return sendError(res, 500, 'internal error');
  }
  const message = err.type === 'entity.too.large' ? 'request body too large' : err.type === 'entity.parse.failed' ? 'request body is not valid JSON' : (err.message ?? 'bad request');
  sendError(res, status, message);
};
