/**
 * threads: one helper to run Cairn's worker threads as typed modules (see thread.ts). Imports
 * node only, so storage and api may both use it.
 */
export { Thread, threadData, threadModule, threadPort } from './thread.js';
