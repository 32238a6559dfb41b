import { readFileSync } from 'node:fs';
import { RekorClient, TileClient, openFetcher, openSignedCheckpoint, parseProof, readLogKey } from '../client/index.js';
import { CairnError } from '../errors.js';
import { bytesEqual, verifyConsistency } from '../merkle/index.js';
import type { Checkpoint } from '../note/index.js';
import type { Command } from './command.js';
import { verifyOptions } from './config.js';

export const verifyConsistencyCommand: Command = {
  name: 'verify-consistency',
  summary: 'Check that a newer signed checkpoint extends an older one: offline with a proof file, or fetching the proof.',
  usage: [
    'cairn verify-consistency --key KEY --old FILE --new FILE --proof FILE   (offline)',
    'cairn verify-consistency --key KEY --old FILE [--new FILE] --url URL [--api tiles|rekor]',
  ],
  options: verifyOptions('/api/v1/log/proof', [
    { name: 'old', type: 'string', help: 'The older signed checkpoint file.' },
    { name: 'new', type: 'string', help: 'The newer signed checkpoint file. Default with --url: the log\'s current one.' },
    { name: 'proof', type: 'string', help: 'Consistency proof file: JSON array of hashes, Rekor ConsistencyProof JSON, or one hex/base64 hash per line.' },
  ]),
  run: async (v) => {
    if (v.key === undefined || v.old === undefined) throw new CairnError('CONFIG', 'verify-consistency needs --key and --old');
    if ((v.proof === undefined) === (v.url === undefined)) throw new CairnError('CONFIG', 'give exactly one of --proof FILE (offline) and --url URL');
    const key = readLogKey(v.key as string);
    const old = openSignedCheckpoint(readFileSync(v.old as string), key).checkpoint;
    let cur: Checkpoint | undefined = v.new !== undefined ? openSignedCheckpoint(readFileSync(v.new as string), key).checkpoint : undefined;
    let proof: Uint8Array[] | undefined;
    let tiles: TileClient | undefined;
    if (v.proof !== undefined) {
      if (!cur) throw new CairnError('CONFIG', 'offline verification needs --new FILE');
      const p = parseProof(readFileSync(v.proof as string, 'utf8'));
      proof = p.hashes;
    } else if (v.api === 'tiles') {
      tiles = new TileClient(openFetcher(v.url as string));
      cur ??= (await tiles.checkpoint((o) => [...key.c2sp(o), ...key.rekor(o)])).checkpoint;
    } else if (!cur) {
      cur = (await new RekorClient(v.url as string).logInfo((o) => key.rekor(o))).checkpoint;
    }
    if (cur.origin !== old.origin) return fail(`the checkpoints are of different logs ("${old.origin}" and "${cur.origin}")`);
    if (cur.size < old.size) return fail(`ROLLBACK: the newer checkpoint's size ${cur.size} is smaller than ${old.size}`);
    if (cur.size === old.size) {
      if (!bytesEqual(cur.rootHash, old.rootHash)) return fail(`SPLIT VIEW: two signed checkpoints of size ${cur.size} with different roots`);
      console.log(`verify-consistency: OK: both checkpoints are ${cur.origin} at size ${cur.size} with the same root`);
      return 0;
    }
    if (!proof && old.size > 0) {
      if (tiles) {
        proof = await tiles.consistencyProof(old.size, cur.size);
      } else {
        const p = await new RekorClient(v.url as string).consistencyProof(old.size, cur.size);
        if (!bytesEqual(p.rootHash, cur.rootHash)) return fail(`the log's proof is for a root other than the checkpoint's at size ${cur.size}`);
        proof = p.hashes;
      }
    }
    try {
      verifyConsistency(old.size, cur.size, proof ?? [], old.rootHash, cur.rootHash);
    } catch (e) {
      return fail((e as Error).message);
    }
    console.log(`verify-consistency: OK: ${cur.origin} at size ${cur.size} extends size ${old.size}`);
    return 0;
  },
};

function fail(why: string): number {
  console.error(`verify-consistency: FAILED: ${why}`);
  return 1;
}
