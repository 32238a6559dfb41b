import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * createLogger returns the process logger: JSON lines (one object per line, for log shippers)
 * unless the stream is a terminal, where pino-pretty renders them for people. Pretty printing
 * runs in-process and synchronously, so no line is lost when the process exits.
 */
export function createLogger(level: LogLevel, stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Logger {
  const opts = { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (stream.isTTY) return pino(opts, pretty({ destination: stream, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid' }));
  return pino(opts, stream === process.stdout ? pino.destination({ fd: 1, sync: true }) : stream);
}
