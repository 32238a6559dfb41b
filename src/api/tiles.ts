import { Router } from 'express';
import type { Log } from '../log/index.js';
import type { AppOptions } from './app.js';

/** tileRoutes serves the C2SP tlog-tiles read API (shared/specs/tlog-tiles.md). */
export function tileRoutes(log: Log, opts: AppOptions): Router {
  const r = Router();
  r.get('/checkpoint', (_req, res) => {
    res.set('Content-Type', 'text/plain; charset=utf-8').set('Cache-Control', 'no-cache, max-age=0').send(opts.checkpointNote(log.latest()));
  });
  return r;
}
