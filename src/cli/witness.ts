import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { createWitnessApp } from '../api/index.js';
import { CairnError } from '../errors.js';
import type { AnyLog } from '../log/index.js';
import { openDb } from '../storage/index.js';
import { Cosigner, Witness, loadOrCreateWitnessKey, parseLogSpec, parseWitnessSpec, splitList, type CosignerLevel } from '../witness/index.js';
import type { Command } from './command.js';
import { envPrefixed, type OptionSpec, type Values } from './config.js';
import { stopOnSignal, type ShutdownReport } from './signals.js';

/** WITNESS_DB_FILE is the witness's own SQLite database inside its data directory. */
export const WITNESS_DB_FILE = 'witness.db';

// CAIRN_WITNESS_* so a witness and a log can share one environment.
export const WITNESS_OPTIONS: readonly OptionSpec[] = envPrefixed('CAIRN_WITNESS', [
  { name: 'port', type: 'int', default: 3001, min: 0, max: 65535, help: 'TCP port to listen on.' },
  { name: 'host', type: 'string', default: '127.0.0.1', help: 'Address to bind.' },
  { name: 'data', env: 'CAIRN_WITNESS_DATA_DIR', type: 'string', default: './witness-data', help: 'Data directory (witness database, generated key).' },
  { name: 'key', type: 'string', help: 'PKCS#8 PEM Ed25519 private key file. Default: generated into the data directory on first start.' },
  { name: 'name', type: 'string', help: 'Witness key name on its cosignatures, e.g. witness.example.com/w1. Required.' },
  {
    name: 'log',
    env: 'CAIRN_WITNESS_LOGS',
    type: 'string',
    repeatable: true,
    help: 'A log to witness: <origin>=<vkey>, or a vkey whose name is the origin. Repeat or comma-separate. Required.',
  },
]);

export interface RunningWitness {
  witness: Witness;
  server: Server;
  url: string;
  stop: () => Promise<void>;
}

/** runWitness opens the witness's key and database and serves add-checkpoint until stop(). */
export async function runWitness(v: Values, print: (line: string) => void = console.log): Promise<RunningWitness> {
  const name = v.name as string | undefined;
  if (!name) throw new CairnError('CONFIG', '--name is required (the witness key name, e.g. witness.example.com/w1)');
  const logs = splitList(v.log as string | undefined).map(parseLogSpec);
  if (logs.length === 0) throw new CairnError('CONFIG', '--log is required: <origin>=<vkey> of each log to witness');
  const dataDir = v.data as string;
  mkdirSync(dataDir, { recursive: true });
  const { key } = loadOrCreateWitnessKey(dataDir, v.key as string | undefined);
  const db = openDb(join(dataDir, WITNESS_DB_FILE));
  let witness: Witness;
  let server: Server;
  try {
    witness = new Witness({ db, name, key, logs, onEvent: (m) => console.error(`cairn ${m}`) });
    const app = createWitnessApp(witness);
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(v.port as number, v.host as string, () => resolve(s));
      s.once('error', reject);
    });
  } catch (e) {
    db.close();
    throw e;
  }
  const addr = server.address();
  const url = `http://${v.host}:${typeof addr === 'object' && addr ? addr.port : v.port}`;
  print(`cairn witness: ${name} serving add-checkpoint at ${url} for ${witness.origins.join(', ')}`);
  print(`cairn witness: verifier key ${witness.vkey}`);
  const stop = async () => {
    await new Promise<void>((r) => server.close(() => r()));
    db.close();
  };
  return { witness, server, url, stop };
}

/** WITNESS_SHUTDOWN reports a witness's shutdown as plain lines, as the rest of its output is. */
const WITNESS_SHUTDOWN: ShutdownReport = {
  stopping: (signal) => console.log(`cairn witness: ${signal}: closing`),
  failed: (err) => console.error(`cairn witness: shutdown failed: ${(err as Error).message}`),
};

export const witnessCommand: Command = {
  name: 'witness',
  summary: 'Run a tlog-witness: cosign checkpoints of the configured logs.',
  usage: 'cairn witness --name NAME --log <origin>=<vkey> [--log ...] [options]',
  options: WITNESS_OPTIONS,
  run: async (v) => stopOnSignal(await runWitness(v), WITNESS_SHUTDOWN),
};

/** SERVE_WITNESS_OPTIONS are `cairn serve`'s settings for collecting cosignatures. */
export const SERVE_WITNESS_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'witness',
    type: 'string',
    repeatable: true,
    help: 'A witness to ask for cosignatures: <name>=<vkey>@<url>, the URL its submission prefix. Repeat or comma-separate.',
  },
  { name: 'witness-quorum', type: 'int', min: 0, help: 'Witnesses that must cosign a checkpoint before /checkpoint serves it. Default: all of them.' },
];

/**
 * cosignerFor validates the --witness settings and returns what starts collecting cosignatures for
 * a log, or undefined without witnesses. Split from starting so bad settings fail before the log opens.
 */
export function cosignerFor(
  v: Values,
): ((log: AnyLog, report: (level: CosignerLevel, message: string) => void, onCosigned?: (witness: string, time: number) => void) => Cosigner) | undefined {
  const witnesses = splitList(v.witness as string | undefined).map(parseWitnessSpec);
  if (witnesses.length === 0) {
    if (v['witness-quorum'] !== undefined) throw new CairnError('CONFIG', '--witness-quorum needs --witness');
    return undefined;
  }
  const quorum = (v['witness-quorum'] as number | undefined) ?? witnesses.length;
  if (quorum > witnesses.length) throw new CairnError('CONFIG', `--witness-quorum ${quorum} exceeds the ${witnesses.length} witnesses configured`);
  return (log, report, onCosigned) => {
    const cosigner = new Cosigner({ log, witnesses, quorum, report, onCosigned });
    cosigner.start();
    return cosigner;
  };
}
