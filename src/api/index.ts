export { createApp, type AppOptions } from './app.js';
export { STATUS, errorHandler, sendError } from './errors.js';
