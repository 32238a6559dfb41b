/**
 * Parsing of the witnessing settings: the logs a witness trusts (`--log`) and the witnesses a log
 * asks (`--witness`). Errors are CairnError('CONFIG') naming the bad value.
 */
import { CairnError } from '../errors.js';
import { parseVerifierKey, SIG_TYPE_COSIGNATURE_V1 } from '../note/index.js';
/** splitList splits a comma list (repeated flags arrive joined by commas), dropping empty items. */
export function splitList(v) {
    return (v ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}
function vkeyType(vkey) {
    const b64 = /^[^+]*\+[^+]*\+(.*)$/s.exec(vkey)?.[1];
    return b64 === undefined ? undefined : Buffer.from(b64, 'base64')[0];
}
/**
 * parseLogSpec parses "<origin>=<vkey>" or a bare "<vkey>" whose key name is the origin. The text
 * before the first "=" is an origin only if it holds no "+", since a vkey's base64 may end in "=".
 */
export function parseLogSpec(spec) {
    const eq = spec.indexOf('=');
    const hasOrigin = eq > 0 && !spec.slice(0, eq).includes('+');
    const vkey = hasOrigin ? spec.slice(eq + 1) : spec;
    const verifier = parseVerifierKey(vkey);
    if (vkeyType(vkey) === SIG_TYPE_COSIGNATURE_V1) {
        throw new CairnError('CONFIG', `--log ${spec}: that is a witness (cosignature/v1) key, not a log key`);
    }
    return { origin: hasOrigin ? spec.slice(0, eq) : verifier.name, verifier };
}
/**
 * parseWitnessSpec parses "<name>=<vkey>@<url>" (or "<vkey>@<url>"): the witness's cosignature/v1
 * vkey (type 0x04) and its submission prefix (http or https). A name, if given, must be the vkey's.
 */
export function parseWitnessSpec(spec) {
    const bad = (why) => new CairnError('CONFIG', `--witness ${spec}: ${why}`);
    const m = /^(.+?)@(https?:\/\/.+)$/.exec(spec);
    if (!m)
        throw bad('want <name>=<vkey>@<url>');
    const [, left, rawUrl] = m;
    const eq = left.indexOf('=');
    const named = eq > 0 && !left.slice(0, eq).includes('+');
    const vkey = named ? left.slice(eq + 1) : left;
    const verifier = parseVerifierKey(vkey);
    if (vkeyType(vkey) !== SIG_TYPE_COSIGNATURE_V1)
        throw bad('the vkey must be a cosignature/v1 (type 0x04) witness key');
    if (named && left.slice(0, eq) !== verifier.name)
        throw bad(`name "${left.slice(0, eq)}" is not the vkey's key name "${verifier.name}"`);
    let url;
    try {
        url = new URL(rawUrl);
    }
    catch {
        throw bad('bad URL');
    }
    return { name: verifier.name, vkey, verifier, url: url.href.replace(/\/+$/, '') };
}
