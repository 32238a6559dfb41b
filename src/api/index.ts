export { createApp, type App, type AppOptions } from './app.js';
export { STATUS, errorHandler, replyFor } from './errors.js';
export { errorReply, writeReply, type Reply } from './reply.js';
export { Readiness, type ReadinessOptions } from './ops.js';
export { MIB, type RateLimitOptions } from './limits.js';
export { createWitnessApp } from './witness.js';
export { createHttpServer, type HttpServerOptions } from './http-server.js';
export { Metrics, type MetricsOptions } from './metrics.js';
export { AdmitPool, type AdmitPoolOptions } from './admit-pool.js';
