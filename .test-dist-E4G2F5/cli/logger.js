import { pino } from 'pino';
import pretty from 'pino-pretty';
import { FdSink } from './log-sink.js';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** FLUSH_MS bounds how late a buffered JSON log line reaches stdout. */
const FLUSH_MS = 500;
/**
 * createLogger returns the process logger: JSON lines (one object per line, for log shippers)
 * unless the stream is a terminal, where pino-pretty renders them for people.
 *
 * JSON lines to stdout are buffered (up to 4 KiB, flushed at least every FLUSH_MS and at shutdown)
 * because one write(2) per request line was the largest part of the per-request cost. A process
 * killed with SIGKILL loses at most the last FLUSH_MS of lines; any other exit flushes them, unless
 * the reader of stdout has gone, when they are dropped and the process exits all the same (FdSink).
 */
export function createLogger(level, stream = process.stdout) {
    const opts = { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
    if (stream.isTTY)
        return pino(opts, pretty({ destination: stream, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid' }));
    if (stream !== process.stdout)
        return pino(opts, stream);
    const sink = new FdSink(1, 4096);
    setInterval(() => sink.flush(), FLUSH_MS).unref();
    process.once('exit', () => sink.flushSync());
    return pino(opts, sink);
}
