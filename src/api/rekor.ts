import { Router } from 'express';
import type { Log } from '../log/index.js';
import type { AppOptions } from './app.js';

/** rekorRoutes serves Rekor's v1 REST API (shared/specs/rekor-openapi.yaml). */
export function rekorRoutes(log: Log, _opts: AppOptions): Router {
  const r = Router();
  r.get('/api/v1/log/publicKey', (_req, res) => {
    res.set('Content-Type', 'application/x-pem-file').send(log.key.publicKeyPem);
  });
  return r;
}
