import express, { type Express } from 'express';
import type { Log, SignedCheckpoint } from '../log/index.js';
import { errorHandler, sendError } from './errors.js';
import { opsRoutes } from './ops.js';
import { rekorRoutes } from './rekor.js';
import { tileRoutes } from './tiles.js';

export interface AppOptions {
  /** URL clients reach the log at (used in Location headers). */
  publicUrl: string;
  /** The C2SP note served for a checkpoint: by default its own text; witnessing appends cosignatures. */
  checkpointNote: (cp: SignedCheckpoint) => string;
  /** Largest request body accepted (bytes); past it 413. Default 1 MiB. */
  maxBodyBytes?: number;
}

/** createApp builds the HTTP application over a log: the one place routes and middleware are assembled. */
export function createApp(log: Log, options: Partial<AppOptions> & Pick<AppOptions, 'publicUrl'>): Express {
  const opts: AppOptions = { checkpointNote: (cp) => cp.c2sp, ...options };
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(opsRoutes(log, opts));
  app.use(tileRoutes(log, opts));
  app.use(rekorRoutes(log, opts));

  app.use((_req, res) => sendError(res, 404, 'not found'));
  app.use(errorHandler);
  return app;
}
