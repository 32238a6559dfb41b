import { readFileSync } from 'node:fs';
import { RekorClient, TileClient, openFetcher, openSignedCheckpoint, parseProof, readLogKey, type LogVerifierKey } from '../client/index.js';
import { CairnError } from '../errors.js';
import { bytesEqual, leafHash, verifyInclusion } from '../merkle/index.js';
import type { Checkpoint } from '../note/index.js';
import type { Command } from './command.js';
import { verifyOptions } from './config.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** leafFrom returns the leaf hash to look for: of an entry body file, or a leaf hash / Rekor UUID in hex. */
function leafFrom(entry?: string, leaf?: string): Uint8Array {
  if ((entry === undefined) === (leaf === undefined)) throw new CairnError('CONFIG', 'give exactly one of --entry FILE and --leaf-hash HEX');
  if (entry !== undefined) return leafHash(new Uint8Array(readFileSync(entry)));
  // A Rekor UUID is the leaf hash, optionally preceded by a 16-digit tree ID.
  if (!/^([0-9a-fA-F]{16})?[0-9a-fA-F]{64}$/.test(leaf!)) throw new CairnError('CONFIG', '--leaf-hash must be 64 hex digits (or an 80-digit Rekor UUID)');
  return new Uint8Array(Buffer.from(leaf!.slice(-64), 'hex'));
}

function checkpointFile(path: string, key: LogVerifierKey): Checkpoint {
  return openSignedCheckpoint(readFileSync(path), key).checkpoint;
}

export const verifyInclusionCommand: Command = {
  name: 'verify-inclusion',
  summary: 'Check that an entry is in a log at a signed checkpoint: offline with a proof file, or fetching the proof.',
  usage: [
    'cairn verify-inclusion --key KEY (--entry FILE | --leaf-hash HEX) --checkpoint FILE --proof FILE [--index N]   (offline)',
    'cairn verify-inclusion --key KEY (--entry FILE | --leaf-hash HEX) --url URL --index N [--checkpoint FILE]   (tiles API)',
    'cairn verify-inclusion --key KEY (--entry FILE | --leaf-hash HEX) --url URL --api rekor [--checkpoint FILE]',
  ],
  options: verifyOptions('/api/v1/log/entries', [
    { name: 'entry', type: 'string', help: 'File holding the entry body (the exact bytes that were hashed into the leaf).' },
    { name: 'leaf-hash', type: 'string', help: 'The entry\'s leaf hash in hex (a Rekor entry UUID is accepted).' },
    { name: 'index', type: 'int', min: 0, help: 'The entry\'s log index (taken from the proof file when it says).' },
    { name: 'checkpoint', type: 'string', help: 'Signed checkpoint file to verify against. Default with --url: the log\'s current one.' },
    { name: 'proof', type: 'string', help: 'Inclusion proof file: JSON array of hashes, Rekor inclusionProof JSON or entry response, or one hex/base64 hash per line.' },
  ]),
  run: async (v) => {
    if (v.key === undefined) throw new CairnError('CONFIG', 'missing --key');
    if ((v.proof === undefined) === (v.url === undefined)) throw new CairnError('CONFIG', 'give exactly one of --proof FILE (offline) and --url URL');
    const key = readLogKey(v.key as string);
    const leaf = leafFrom(v.entry as string | undefined, v['leaf-hash'] as string | undefined);
    let index = v.index as number | undefined;
    let cp: Checkpoint | undefined = v.checkpoint !== undefined ? checkpointFile(v.checkpoint as string, key) : undefined;
    let proof: Uint8Array[];

    if (v.proof !== undefined) {
      if (!cp) throw new CairnError('CONFIG', 'offline verification needs --checkpoint FILE');
      const p = parseProof(readFileSync(v.proof as string, 'utf8'));
      if (p.treeSize !== undefined && p.treeSize !== cp.size) {
        return fail(`the proof is for tree size ${p.treeSize}, the checkpoint for ${cp.size}`);
      }
      if (index !== undefined && p.logIndex !== undefined && p.logIndex !== index) return fail(`the proof is for index ${p.logIndex}, not ${index}`);
      index ??= p.logIndex;
      proof = p.hashes;
    } else if (v.api === 'rekor') {
      const rekor = new RekorClient(v.url as string);
      const e = await rekor.entry(hex(leaf));
      if (!e) return fail(`the log has no entry with leaf hash ${hex(leaf)}`);
      if (!bytesEqual(leafHash(e.body), leaf)) return fail('the log returned an entry whose body does not hash to the requested leaf');
      const ip = e.inclusionProof;
      if (!ip) return fail('the log returned no inclusion proof');
      if (index !== undefined && index !== ip.logIndex) return fail(`the log places the entry at index ${ip.logIndex}, not ${index}`);
      index = ip.logIndex;
      if (!cp) {
        if (!ip.checkpoint) return fail('the log returned no checkpoint with the proof; pass --checkpoint');
        cp = openSignedCheckpoint(ip.checkpoint, key).checkpoint;
      }
      if (ip.treeSize !== cp.size) return fail(`the log's proof is for tree size ${ip.treeSize}, the checkpoint for ${cp.size}; check consistency with verify-consistency`);
      proof = ip.hashes;
    } else {
      if (index === undefined) throw new CairnError('CONFIG', 'the tiles API needs --index N (tiles are addressed by position)');
      const tiles = new TileClient(openFetcher(v.url as string));
      cp ??= (await tiles.checkpoint((o) => [...key.c2sp(o), ...key.rekor(o)])).checkpoint;
      if (index >= cp.size) return fail(`index ${index} is not in the tree of size ${cp.size}`);
      proof = await tiles.inclusionProof(index, cp.size);
    }
    if (index === undefined) throw new CairnError('CONFIG', 'missing --index N (the proof file does not say)');
    try {
      verifyInclusion(leaf, index, cp.size, proof, cp.rootHash);
    } catch (e) {
      return fail((e as Error).message);
    }
    console.log(`verify-inclusion: OK: leaf ${hex(leaf)} is entry ${index} of ${cp.origin} at tree size ${cp.size}`);
    return 0;
  },
};

function fail(why: string): number {
  console.error(`verify-inclusion: FAILED: ${why}`);
  return 1;
}
