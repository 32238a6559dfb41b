import { Router } from 'express';
import type { Log } from '../log/index.js';
import type { AppOptions } from './app.js';

/** opsRoutes serves what operators poll: health, readiness, metrics. */
export function opsRoutes(_log: Log, _opts: AppOptions): Router {
  return Router();
}
