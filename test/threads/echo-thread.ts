/** A worker module for thread.test.ts: echoes numbers, exits on 'crash', and ignores 'stop' when told to at start. */
import { threadData, threadPort } from '../../src/threads/index.js';

export type EchoIn = number | 'crash' | 'stop';
export type EchoOut = number;

const { ignoreStop } = threadData<{ ignoreStop: boolean }>();
const port = threadPort<EchoIn, EchoOut>();
port.on((m) => {
  if (m === 'crash') process.exit(3);
  if (m === 'stop') {
    if (!ignoreStop) process.exit(0);
    return;
  }
  port.post(m * 2);
});
