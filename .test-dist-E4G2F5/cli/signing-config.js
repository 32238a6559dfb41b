import { CairnError } from '../errors.js';
import { TRUST_OPTIONS } from './trust-root.js';
/** SIGNING_CONFIG_MEDIA_TYPE is the media type of SigningConfig v0.2. */
export const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';
/** signingConfig returns the SigningConfig for a log at url (with its TSA unless tsa is false). */
export function signingConfig(url, validFrom, operator, tsa = true) {
    const base = url.replace(/\/+$/, '');
    const validFor = { start: validFrom.toISOString() };
    const service = (u, majorApiVersion) => ({ url: u, majorApiVersion, validFor, operator });
    return {
        mediaType: SIGNING_CONFIG_MEDIA_TYPE,
        caUrls: [],
        oidcUrls: [],
        // Clients take the highest API version they support; v1 stays for older ones.
        rekorTlogUrls: [service(base, 2), service(base, 1)],
        rekorTlogConfig: { selector: 'ANY' },
        tsaUrls: tsa ? [service(`${base}/api/v1/timestamp`, 1)] : [],
        tsaConfig: { selector: 'ANY' },
    };
}
export const signingConfigCommand = {
    name: 'signing-config',
    summary: 'Print a sigstore SigningConfig v0.2 with this log\'s Rekor v1/v2 and TSA URLs.',
    usage: 'cairn signing-config --url PUBLIC_URL [--operator NAME] [--no-tsa]',
    options: [
        TRUST_OPTIONS[0],
        { name: 'operator', type: 'string', default: 'cairn', help: 'Operator named for each service.' },
        { name: 'no-tsa', type: 'bool', default: false, help: 'Leave the TSA out (a server run with --no-tsa).' },
        { name: 'valid-from', type: 'string', help: 'Start of the services\' validity (ISO 8601). Default: now.' },
    ],
    run: async (v) => {
        if (!v.url)
            throw new CairnError('CONFIG', 'missing --url PUBLIC_URL');
        const from = v['valid-from'] !== undefined ? new Date(v['valid-from']) : new Date();
        if (Number.isNaN(from.getTime()))
            throw new CairnError('CONFIG', '--valid-from must be a date such as 2026-01-01T00:00:00Z');
        console.log(JSON.stringify(signingConfig(v.url, from, v.operator, !v['no-tsa']), null, 2));
        return 0;
    },
};
