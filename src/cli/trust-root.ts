/**
 * `cairn trust-root` prints the sigstore TrustedRoot (protobuf-specs sigstore_trustroot.proto,
 * protojson) a client verifies this log's bundles with: one transparency-log instance per key ID
 * the log's entries carry (Rekor v1's SHA-256(SPKI); for an Ed25519 key also Rekor v2's
 * checkpoint key hash) and the TSA's certificate chain.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import { KEY_FILE, readManifest } from '../log/index.js';
import { publicKeyFromSpki, rekorV2LogId, type PublicKey } from '../note/index.js';
import { TSA_CHAIN_FILE } from '../tsa/index.js';
import type { Command } from './command.js';
import { dataOption, type OptionSpec, type Values } from './config.js';
import { originFromUrl } from './serve.js';

/** TRUSTED_ROOT_MEDIA_TYPE is the media type of TrustedRoot v0.1. */
export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';

/** TrustedLog is one log (a shard) of a trust root. */
export interface TrustedLog {
  /** Where its checkpoints are served (TransparencyLogInstance.baseUrl); it must contain the origin for sigstore-js. */
  url: string;
  origin: string;
  key: PublicKey;
  /** Start of the log key's validity. */
  validFrom: Date;
  /** End of it: when the shard was frozen. */
  validTo?: Date;
}

/** TrustInputs are what a trust root is made of. */
export interface TrustInputs {
  /** The server's public URL (the TSA's). */
  url: string;
  /** Every shard, oldest first. */
  logs: TrustedLog[];
  /** The TSA's chain, leaf first, DER; empty: no TSA. */
  tsaChain: Uint8Array[];
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** trustedRoot returns the TrustedRoot for inputs as a protojson object. */
export function trustedRoot(t: TrustInputs): Record<string, unknown> {
  const tlogs = t.logs.flatMap((l) => {
    const publicKey = {
      rawBytes: b64(l.key.spkiDer),
      keyDetails: l.key.type === 'ed25519' ? 'PKIX_ED25519' : 'PKIX_ECDSA_P256_SHA_256',
      validFor: { start: l.validFrom.toISOString(), ...(l.validTo && { end: l.validTo.toISOString() }) },
    };
    const instance = (keyId: Uint8Array) => ({ baseUrl: l.url, hashAlgorithm: 'SHA2_256', publicKey, logId: { keyId: b64(keyId) } });
    const v1 = l.key.logId;
    const v2 = rekorV2LogId(l.origin, l.key);
    return Buffer.compare(v1, v2) === 0 ? [instance(v1)] : [instance(v1), instance(v2)];
  });
  const timestampAuthorities = t.tsaChain.length === 0 ? [] : [tsaAuthority(t.tsaChain, t.url)];
  return { mediaType: TRUSTED_ROOT_MEDIA_TYPE, tlogs, certificateAuthorities: [], ctlogs: [], timestampAuthorities };
}

function tsaAuthority(chain: Uint8Array[], url: string): Record<string, unknown> {
  const leaf = new X509Certificate(chain[0]);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(leaf.subject)?.[1] ?? '';
  const o = /(?:^|\n)O=([^\n]*)/.exec(leaf.subject)?.[1] ?? '';
  return {
    subject: { organization: o, commonName: cn },
    uri: `${url.replace(/\/+$/, '')}/api/v1/timestamp`,
    certChain: { certificates: chain.map((der) => ({ rawBytes: b64(der) })) },
    validFor: { start: new Date(leaf.validFrom).toISOString() },
  };
}

/** TRUST_OPTIONS are the options trust-root and signing-config share. */
export const TRUST_OPTIONS: readonly OptionSpec[] = [
  { name: 'url', env: 'CAIRN_PUBLIC_URL', type: 'string', help: 'URL clients reach the log at (serve\'s --public-url).' },
  dataOption('Data directory the log key and TSA chain are read from.'),
];

/** readTrustInputs gathers the trust root's inputs from the options. */
export function readTrustInputs(v: Values): TrustInputs {
  const url = (v.url as string | undefined)?.replace(/\/+$/, '');
  if (!url) throw new CairnError('CONFIG', 'missing --url PUBLIC_URL');
  const dataDir = v.data as string;
  const keyPath = (v.key as string | undefined) ?? join(dataDir, KEY_FILE);
  if (!existsSync(keyPath)) throw new CairnError('CONFIG', `log key ${keyPath} does not exist (start the server once, or give --key)`);
  const key = readPublicKey(readFileSync(keyPath, 'utf8'), keyPath);
  // Whole seconds: a v1 entry's integratedTime (what a verifier checks against this) is floored
  // to the second, so an entry of the key's first second must still fall inside.
  const validFrom = v['valid-from'] !== undefined ? new Date(v['valid-from'] as string) : new Date(Math.floor(statSync(keyPath).mtimeMs / 1000) * 1000);
  if (Number.isNaN(validFrom.getTime())) throw new CairnError('CONFIG', '--valid-from must be a date such as 2026-01-01T00:00:00Z');
  const chainPath = (v['tsa-cert-chain'] as string | undefined) ?? join(dataDir, TSA_CHAIN_FILE);
  let tsaChain: Uint8Array[] = [];
  if (!v['no-tsa']) {
    if (!existsSync(chainPath)) throw new CairnError('CONFIG', `TSA chain ${chainPath} does not exist (start the server once, give --tsa-cert-chain, or --no-tsa)`);
    tsaChain = (readFileSync(chainPath, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new Uint8Array(new X509Certificate(p).raw));
  }
  const origin = (v.origin as string | undefined) ?? originFromUrl(url);
  const logs: TrustedLog[] = [{ url, origin, key, validFrom }];
  const shards = readManifest(dataDir)?.shards ?? [];
  if (shards[0]?.frozen) logs[0].validTo = endOf(shards[0].frozen.at);
  for (const r of shards.slice(1)) {
    const path = r.keyFile ?? join(dataDir, r.dir, KEY_FILE);
    // Each later shard is served under its name; its validity runs from its start to its freezing.
    const log: TrustedLog = { url: `${url}/shards/${r.name}`, origin: r.origin, key: readPublicKey(readFileSync(path, 'utf8'), path), validFrom: new Date(Math.floor(r.createdAt / 1000) * 1000) };
    if (r.frozen) log.validTo = endOf(r.frozen.at);
    logs.push(log);
  }
  // sigstore-js accepts a checkpoint signature only from a log whose baseUrl matches the note's key name.
  for (const l of logs) {
    if (!l.url.includes(l.origin)) console.error(`cairn: warning: the URL ${l.url} does not contain the origin ${l.origin}; sigstore-js will not match this log's checkpoints`);
  }
  return { url, logs, tsaChain };
}

/** endOf returns the end of a shard's validity: the second after it was frozen (integrated times are whole seconds). */
function endOf(ms: number): Date {
  return new Date(Math.ceil(ms / 1000) * 1000 + 1000);
}

/** readPublicKey returns the public key in a PEM public or PKCS#8 private key file. */
function readPublicKey(pem: string, path: string): PublicKey {
  try {
    const spki = createPublicKey(pem).export({ type: 'spki', format: 'der' });
    return publicKeyFromSpki(new Uint8Array(spki));
  } catch (e) {
    if (e instanceof CairnError) throw new CairnError('CONFIG', `${path}: ${e.message}`);
    throw new CairnError('CONFIG', `${path} holds no PEM key`);
  }
}

export const trustRootCommand: Command = {
  name: 'trust-root',
  summary: 'Print the sigstore TrustedRoot (every shard\'s key and validity, TSA chain) clients verify this log\'s bundles with.',
  usage: 'cairn trust-root --url PUBLIC_URL [--data DIR | --key FILE] [--origin ORIGIN] [--tsa-cert-chain FILE | --no-tsa]',
  options: [
    ...TRUST_OPTIONS,
    { name: 'key', type: 'string', help: 'The log\'s key (PKCS#8 private or SPKI public PEM). Default: the data directory\'s.' },
    { name: 'origin', type: 'string', help: 'The log\'s checkpoint origin (serve\'s --origin). Default: the URL without scheme.' },
    { name: 'tsa-cert-chain', type: 'string', help: 'The TSA\'s PEM chain, leaf first. Default: the data directory\'s.' },
    { name: 'no-tsa', type: 'bool', default: false, help: 'Leave the TSA out (a server run with --no-tsa).' },
    { name: 'valid-from', type: 'string', help: 'Start of the log key\'s validity (ISO 8601). Default: the key file\'s modification time.' },
  ],
  run: async (v) => {
    console.log(JSON.stringify(trustedRoot(readTrustInputs(v)), null, 2));
    return 0;
  },
};
