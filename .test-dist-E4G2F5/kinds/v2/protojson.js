/**
 * A strict reader for protojson (protobuf's canonical JSON mapping, protobuf.dev/programming-guides/
 * json), as rekor-tiles' HTTP gateway parses requests: each field may be written with its JSON
 * name (lowerCamelCase) or its proto field name, unknown fields are refused, null means unset,
 * bytes are base64 (standard or URL-safe, padded or not), enums are names or numbers. Every
 * failure is INVALID_ENTRY naming the field.
 */
import { invalid } from '../encoding.js';
/**
 * message returns the fields of a protojson object keyed by JSON name, null values dropped.
 * Refuses a non-object, a field outside names, and a field given under both of its names.
 */
export function message(v, path, names) {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
        throw invalid(`${path} must be an object`);
    const out = {};
    for (const [key, value] of Object.entries(v)) {
        const pair = names.find(([json, proto]) => key === json || key === proto);
        if (!pair)
            throw invalid(`${path}: unknown field ${JSON.stringify(key.length > 64 ? key.slice(0, 64) + '…' : key)}`);
        if (Object.hasOwn(out, pair[0]))
            throw invalid(`${path}: field ${pair[0]} given twice`);
        if (value !== null)
            out[pair[0]] = value;
    }
    return out;
}
/**
 * oneof returns which member of a oneof group is set in fields (exactly one must be), and its
 * value; none or several → INVALID_ENTRY.
 */
export function oneof(fields, path, members) {
    const set = members.filter((m) => fields[m] !== undefined);
    if (set.length !== 1)
        throw invalid(`${path} must set exactly one of ${members.join(', ')}`);
    return [set[0], fields[set[0]]];
}
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const B64URL = /^[A-Za-z0-9_-]*={0,2}$/;
/**
 * bytes returns a protojson bytes field (absent → empty), at most maxBytes long. Like Go's
 * protojson: standard or URL-safe alphabet, with or without padding; pad bits must be zero so a
 * value has one reading.
 */
export function bytes(v, path, maxBytes) {
    if (v === undefined)
        return new Uint8Array(0);
    if (typeof v !== 'string')
        throw invalid(`${path} must be a base64 string`);
    if (v.length > Math.ceil(maxBytes / 3) * 4 + 2)
        throw invalid(`${path} is longer than ${maxBytes} bytes`);
    const url = !B64.test(v);
    if (url && !B64URL.test(v))
        throw invalid(`${path} is not valid base64`);
    const bare = v.replace(/=+$/, '');
    if (bare.length % 4 === 1 || (v.length !== bare.length && v.length % 4 !== 0))
        throw invalid(`${path} is not valid base64`);
    const out = Buffer.from(bare, url ? 'base64url' : 'base64');
    if (out.toString(url ? 'base64url' : 'base64').replace(/=+$/, '') !== bare)
        throw invalid(`${path} is not canonical base64`);
    if (out.length > maxBytes)
        throw invalid(`${path} is longer than ${maxBytes} bytes`);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
/** string returns a protojson string field (absent → ""), at most maxChars long. */
export function string(v, path, maxChars) {
    if (v === undefined)
        return '';
    if (typeof v !== 'string')
        throw invalid(`${path} must be a string`);
    if (v.length > maxChars)
        throw invalid(`${path} is longer than ${maxChars} characters`);
    return v;
}
/** array returns a protojson repeated field (absent → []), at most max items. */
export function array(v, path, max) {
    if (v === undefined)
        return [];
    if (!Array.isArray(v))
        throw invalid(`${path} must be an array`);
    if (v.length > max)
        throw invalid(`${path} holds more than ${max} items`);
    return v;
}
/**
 * enumName returns the name of an enum value given by name or number (absent → the zero value's
 * name); a name or number the enum does not define → INVALID_ENTRY.
 */
export function enumName(v, path, values) {
    const names = Object.keys(values);
    if (v === undefined)
        return names.find((n) => values[n] === 0);
    if (typeof v === 'string' && Object.hasOwn(values, v))
        return v;
    if (typeof v === 'number') {
        const name = names.find((n) => values[n] === v);
        if (name)
            return name;
    }
    throw invalid(`${path}: unknown enum value ${JSON.stringify(v)}`);
}
/** b64 returns padded standard base64, the form protojson writes bytes in. */
export function b64(b) {
    return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
}
