/**
 * `cairn signing-config` prints a sigstore SigningConfig v0.2 (protobuf-specs
 * sigstore_trustroot.proto, protojson) naming this log's Rekor v2 and v1 write APIs and its TSA,
 * so clients that read one (sigstore-go, cosign --signing-config) sign against Cairn.
 */
import type { Command } from './command.js';
import { CairnError } from '../errors.js';
import { TRUST_OPTIONS } from './trust-root.js';
import { readManifest, type ShardRecord } from '../log/index.js';

/** SIGNING_CONFIG_MEDIA_TYPE is the media type of SigningConfig v0.2. */
export const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';

/**
 * signingConfig returns the SigningConfig for a log at url (with its TSA unless tsa is false).
 * With shards, each has its own Rekor v2 URL (PUBLIC_URL/shards/<name>) valid from its start to
 * its freezing, newest first; Rekor v1 keeps one URL for them all.
 */
export function signingConfig(url: string, validFrom: Date, operator: string, tsa = true, shards: readonly ShardRecord[] = []): Record<string, unknown> {
  const base = url.replace(/\/+$/, '');
  const validFor = { start: validFrom.toISOString() };
  const service = (u: string, majorApiVersion: number) => ({ url: u, majorApiVersion, validFor, operator });
  const v2 =
    shards.length < 2
      ? [service(base, 2)]
      : shards
          .map((r) => ({
            url: `${base}/shards/${r.name}`,
            majorApiVersion: 2,
            validFor: { start: new Date(r.createdAt).toISOString(), ...(r.frozen && { end: new Date(r.frozen.at).toISOString() }) },
            operator,
          }))
          .reverse();
  return {
    mediaType: SIGNING_CONFIG_MEDIA_TYPE,
    caUrls: [],
    oidcUrls: [],
    // Clients take the highest API version they support; v1 stays for older ones.
    rekorTlogUrls: [...v2, service(base, 1)],
    rekorTlogConfig: { selector: 'ANY' },
    tsaUrls: tsa ? [service(`${base}/api/v1/timestamp`, 1)] : [],
    tsaConfig: { selector: 'ANY' },
  };
}

export const signingConfigCommand: Command = {
  name: 'signing-config',
  summary: 'Print a sigstore SigningConfig v0.2 with this log\'s Rekor v1/v2 and TSA URLs.',
  usage: 'cairn signing-config --url PUBLIC_URL [--data DIR] [--operator NAME] [--no-tsa]',
  options: [
    ...TRUST_OPTIONS,
    { name: 'operator', type: 'string', default: 'cairn', help: 'Operator named for each service.' },
    { name: 'no-tsa', type: 'bool', default: false, help: 'Leave the TSA out (a server run with --no-tsa).' },
    { name: 'valid-from', type: 'string', help: 'Start of the services\' validity (ISO 8601). Default: now.' },
  ],
  run: async (v) => {
    if (!v.url) throw new CairnError('CONFIG', 'missing --url PUBLIC_URL');
    const from = v['valid-from'] !== undefined ? new Date(v['valid-from'] as string) : new Date();
    if (Number.isNaN(from.getTime())) throw new CairnError('CONFIG', '--valid-from must be a date such as 2026-01-01T00:00:00Z');
    console.log(JSON.stringify(signingConfig(v.url as string, from, v.operator as string, !v['no-tsa'], readManifest(v.data as string)?.shards), null, 2));
    return 0;
  },
};
