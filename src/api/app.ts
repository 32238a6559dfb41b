import express, { type Express } from 'express';
import type { Log } from '../log/index.js';
import { errorHandler, sendError } from './errors.js';

export interface AppOptions {
  /** URL clients reach the log at (used in Location headers). */
  publicUrl: string;
}

/** createApp builds the HTTP application over a log: the one place routes and middleware are assembled. */
export function createApp(log: Log, _opts: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/checkpoint', (_req, res) => {
    res.set('Content-Type', 'text/plain; charset=utf-8').set('Cache-Control', 'no-cache, max-age=0').send(log.latest().c2sp);
  });
  app.get('/api/v1/log/publicKey', (_req, res) => {
    res.set('Content-Type', 'application/x-pem-file').send(log.key.publicKeyPem);
  });

  app.use((_req, res) => sendError(res, 404, 'not found'));
  app.use(errorHandler);
  return app;
}
