/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the byte form Rekor stores entry bodies in and
 * signs SETs over. ECMAScript's own number and string serialization is what RFC 8785 §3.2.2
 * prescribes, so the work here is key ordering and refusing values JSON cannot carry.
 */
const encoder = new TextEncoder();
/**
 * canonicalJson returns the RFC 8785 text of value. value must be JSON data: null, booleans,
 * finite numbers, strings of well-formed UTF-16, arrays and plain objects. Anything else
 * (undefined, NaN, Infinity, bigint, functions, lone surrogates, cycles) is a caller bug and
 * throws a TypeError; callers validate untrusted input before canonicalizing it.
 */
export function canonicalJson(value) {
    const out = [];
    write(value, out, new Set());
    return out.join('');
}
/** canonicalJsonBytes returns the UTF-8 bytes of canonicalJson(value). */
export function canonicalJsonBytes(value) {
    return encoder.encode(canonicalJson(value));
}
function write(v, out, seen) {
    if (v === null || typeof v === 'boolean') {
        out.push(String(v));
    }
    else if (typeof v === 'number') {
        // RFC 8785 §3.2.2.3: ECMAScript Number.prototype.toString; -0 serializes as 0.
        if (!Number.isFinite(v))
            throw new TypeError(`jcs: ${v} is not a JSON number`);
        out.push(JSON.stringify(v));
    }
    else if (typeof v === 'string') {
        out.push(quote(v));
    }
    else if (Array.isArray(v)) {
        enter(v, seen);
        out.push('[');
        v.forEach((x, i) => {
            if (i > 0)
                out.push(',');
            write(x, out, seen);
        });
        out.push(']');
        seen.delete(v);
    }
    else if (typeof v === 'object' && isPlain(v)) {
        enter(v, seen);
        // RFC 8785 §3.2.3: sort by UTF-16 code units, which is what the default sort compares.
        const keys = Object.keys(v).sort();
        out.push('{');
        keys.forEach((k, i) => {
            const x = v[k];
            if (i > 0)
                out.push(',');
            out.push(quote(k), ':');
            write(x, out, seen);
        });
        out.push('}');
        seen.delete(v);
    }
    else {
        throw new TypeError(`jcs: ${typeof v} is not JSON data`);
    }
}
function enter(v, seen) {
    if (seen.has(v))
        throw new TypeError('jcs: cyclic value');
    seen.add(v);
}
function isPlain(v) {
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
}
// RFC 8785 §3.2.2.2: JSON.stringify escapes exactly the required set (", \, controls, with
// \b \t \n \f \r short forms and lowercase \u00xx), but escapes lone surrogates instead of failing.
// With the u flag a surrogate pair is one code point, so this matches only unpaired halves.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
function quote(s) {
    if (LONE_SURROGATE.test(s))
        throw new TypeError('jcs: string is not well-formed UTF-16');
    return JSON.stringify(s);
}
