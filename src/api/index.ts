export { createApp, type AppOptions } from './app.js';
export { STATUS, errorHandler, sendError } from './errors.js';
export { Readiness, type ReadinessOptions } from './ops.js';
export { MIB, type RateLimitOptions } from './limits.js';
export { createWitnessApp } from './witness.js';
export { withFastReads } from './fast.js';
export { createHttpServer, type HttpServerOptions } from './http-server.js';
export { Metrics, type MetricsOptions } from './metrics.js';
export { AdmitPool, type AdmitPoolOptions } from './admit-pool.js';
