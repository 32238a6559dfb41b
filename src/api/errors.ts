import type { ErrorRequestHandler } from 'express';
import { CairnError, type ErrorCode } from '../errors.js';
import { errorReply, writeReply, type Reply } from './reply.js';

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
  FROZEN: 409,
  TOO_LARGE: 413,
  PUSHBACK: 503,
  UNAVAILABLE: 503,
  CONFIG: 500,
  CORRUPT: 500,
};

/** errorStatus is how an error is answered: coded errors by the table, errors carrying a 4xx status (body.ts, express) by theirs, the rest 500. */
export function errorStatus(err: unknown): { status: number; message: string } {
  if (err instanceof CairnError) return { status: STATUS[err.code], message: err.message };
  const e = err as { status?: unknown; message?: string } | undefined;
  const status = typeof e?.status === 'number' && e.status >= 400 && e.status < 500 ? e.status : 500;
  if (status === 500) return { status, message: 'internal error' };
  return { status, message: e!.message ?? 'bad request' };
}

/** replyFor is the answer to an error a handler threw (errorStatus); internal errors are also written to stderr. */
export function replyFor(err: unknown): Reply {
  const { status, message } = errorStatus(err);
  if (status === 500 && !(err instanceof CairnError)) console.error('cairn: internal error', err);
  return errorReply(status, message);
}

/** errorHandler answers every error express sees as JSON (replyFor). */
export const errorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  if (res.headersSent) return;
  writeReply(res, replyFor(err));
};
