import type { Server } from 'node:http';
import { createApp } from '../api/index.js';
import { Log } from '../log/index.js';
import { verifierKeyString } from '../note/index.js';
import type { Command } from './command.js';
import type { OptionSpec, Values } from './config.js';

export const SERVE_OPTIONS: readonly OptionSpec[] = [
  { name: 'port', type: 'int', default: 3000, min: 0, max: 65535, help: 'TCP port to listen on.' },
  { name: 'host', type: 'string', default: '127.0.0.1', help: 'Address to bind.' },
  { name: 'data', env: 'CAIRN_DATA_DIR', type: 'string', default: './data', help: 'Data directory (SQLite database, generated key).' },
  { name: 'public-url', type: 'string', help: 'URL clients reach the log at. Default: http://localhost:<port>.' },
  { name: 'origin', type: 'string', help: 'Checkpoint origin and key name. Default: the public URL without scheme and trailing slash.' },
  { name: 'key', type: 'string', help: 'PKCS#8 PEM private key file. Default: generated into the data directory on first start.' },
  { name: 'key-type', type: 'enum', values: ['ed25519', 'ecdsa-p256'], default: 'ed25519', help: 'Type of a generated key.' },
  { name: 'heartbeat', type: 'int', default: 60, min: 0, help: 'Seconds between re-signings of an idle log\'s checkpoint (0: never).' },
  { name: 'max-batch', type: 'int', default: 1024, min: 1, max: 65536, help: 'Most entries integrated in one transaction.' },
  { name: 'max-queue', type: 'int', default: 65536, min: 1, help: 'Most submissions waiting for the sequencer; past it writes get 503.' },
  { name: 'tile-cache', type: 'int', default: 8192, min: 16, help: 'Tiles kept in memory (about 16 KiB each).' },
];

/** originFromUrl returns a URL without its scheme and trailing slashes: https://log.example.com/cairn/ → log.example.com/cairn. */
export function originFromUrl(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '');
}

export interface Running {
  log: Log;
  server: Server;
  url: string;
  stop: () => Promise<void>;
}

/** serve opens the log, starts the HTTP server and stops both cleanly on stop(). */
export async function serve(v: Values, print: (line: string) => void = console.log): Promise<Running> {
  const port = v.port as number;
  const publicUrl = (v['public-url'] as string | undefined) ?? `http://localhost:${port}`;
  const origin = (v.origin as string | undefined) ?? originFromUrl(publicUrl);
  const log = Log.open({
    dataDir: v.data as string,
    origin,
    keyFile: v.key as string | undefined,
    keyType: v['key-type'] as 'ed25519' | 'ecdsa-p256',
    heartbeatMs: (v.heartbeat as number) * 1000,
    maxBatch: v['max-batch'] as number,
    maxQueue: v['max-queue'] as number,
    tileCacheSize: v['tile-cache'] as number,
  });
  const app = createApp(log, { publicUrl });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, v.host as string, () => resolve(s));
    s.once('error', reject);
  });
  const addr = server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const url = `http://${v.host}:${actualPort}`;
  print(`cairn: serving ${origin} at ${url} (tree size ${log.size})`);
  print(`cairn: log ID ${Buffer.from(log.key.logId).toString('hex')}`);
  print(`cairn: note verifier key ${verifierKeyString(origin, log.key)}`);
  print(`cairn: public key\n${log.key.publicKeyPem.trim()}`);
  const stop = async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await log.close();
  };
  return { log, server, url, stop };
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the log server.',
  usage: 'cairn serve [options]',
  options: SERVE_OPTIONS,
  run: async (v) => {
    const running = await serve(v);
    const shutdown = (sig: string) => {
      console.log(`cairn: ${sig}: finishing queued entries and closing`);
      running.stop().then(
        () => process.exit(0),
        (e) => {
          console.error(`cairn: shutdown failed: ${(e as Error).message}`);
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    return new Promise<number>(() => {});
  },
};
