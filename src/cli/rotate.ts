/**
 * `cairn rotate` freezes a log's active shard (a last signed checkpoint, no more entries) and
 * starts a new one with its own tree ID, origin and key (log/shards.ts). With a server running
 * on the data directory it asks that server over the control socket (control.ts), which keeps
 * serving throughout; with none, it opens the log itself (taking the writer lock) and rotates.
 */
import { Shards, type RotateOptions, type Shard } from '../log/index.js';
import type { Command } from './command.js';
import { dataOption, type Values } from './config.js';
import { requestControl } from './control.js';

/** ShardSummary is what rotate reports of the new shard. */
export interface ShardSummary {
  name: string;
  treeId: string;
  origin: string;
  indexOffset: number;
  publicKey: string;
  previous: { name: string; treeId: string; size: number };
}

/** summarize describes a new shard of shards and the one it replaced, now frozen (the control socket's answer). */
export function summarize(shards: Shards, s: Shard): ShardSummary {
  const previous = shards.list[shards.list.indexOf(s) - 1];
  return {
    name: s.record.name,
    treeId: s.record.treeId,
    origin: s.record.origin,
    indexOffset: s.record.indexOffset,
    publicKey: s.log.key.publicKeyPem.trim(),
    previous: { name: previous.record.name, treeId: previous.record.treeId, size: previous.record.frozen!.size },
  };
}

/** rotateOptions reads the new shard's options from the command line (also what the control socket carries). */
export function rotateOptions(v: Values | Record<string, unknown>): RotateOptions {
  const pick = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  return { name: pick('name'), origin: pick('origin'), keyFile: pick('key'), keyType: pick('key-type') as RotateOptions['keyType'] };
}

/** rotateOffline rotates a log no server has open. */
export async function rotateOffline(dataDir: string, o: RotateOptions, currentKey?: string): Promise<ShardSummary> {
  const shards = Shards.open({ dataDir, keyFile: currentKey, heartbeatMs: 0 });
  try {
    return summarize(shards, await shards.rotate(o));
  } finally {
    await shards.close();
  }
}

export const rotateCommand: Command = {
  name: 'rotate',
  summary: 'Freeze the active shard of a log (running or stopped) and start a new one with its own tree ID, origin and key.',
  usage: 'cairn rotate --data DIR [--name NAME] [--origin ORIGIN] [--key FILE | --key-type TYPE]',
  options: [
    dataOption('Data directory of the log.'),
    { name: 'name', type: 'string', help: 'The new shard\'s name: its URL is PUBLIC_URL/shards/NAME. Default: its number (2, 3, …).' },
    { name: 'origin', type: 'string', help: 'The new shard\'s checkpoint origin. Default: the first shard\'s origin + /shards/NAME.' },
    { name: 'key', type: 'string', help: 'PKCS#8 PEM key for the new shard. Default: generated into its directory.' },
    { name: 'key-type', type: 'enum', values: ['ed25519', 'ecdsa-p256'], help: 'Type of a generated key. Default: the active shard\'s.' },
    { name: 'current-key', type: 'string', help: 'Stopped server only: the active shard\'s key, if it is not in its directory (serve\'s --key for the first shard).' },
  ],
  run: async (v) => {
    const dataDir = v.data as string;
    const o = rotateOptions(v);
    const online = (await requestControl(dataDir, { op: 'rotate', args: { ...o } })) as ShardSummary | undefined;
    const r = online ?? (await rotateOffline(dataDir, o, v['current-key'] as string | undefined));
    console.log(`rotate: froze shard ${r.previous.name} (tree ID ${r.previous.treeId}) at size ${r.previous.size}${online ? ' in the running server' : ''}`);
    console.log(`rotate: shard ${r.name} is active: tree ID ${r.treeId}, origin ${r.origin}, first log index ${r.indexOffset}`);
    console.log(r.publicKey);
    console.log('rotate: publish the new trust root and signing config (cairn trust-root, cairn signing-config)');
    return 0;
  },
};
