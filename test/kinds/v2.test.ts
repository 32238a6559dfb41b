import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { admitCreateEntryRequest, storedSearchKeys } from '../../src/kinds/index.js';
import { b64, digestOf, expectCode, keyPair, signArtifact, signEd25519ph, type KeySpec } from './helpers.js';

const utf8 = (b: Uint8Array) => new TextDecoder().decode(b);
const der = (k: { export(o: object): unknown }) => b64(k.export({ type: 'spki', format: 'der' }) as Buffer);

// Test vectors from sigstore/rekor-tiles pkg/types/hashedrekord/hashedrekord_test.go ("valid
// hashedrekord", "valid hashedrekord with X.509 cert", "valid ECDSA-P384 hashedrekord"): the
// request bytes are theirs; the stored bodies below were written out by hand from
// api/proto/rekor/v2/{entry,hashedrekord,verifier}.proto and sigstore_common.proto (protojson
// lowerCamel names, enums by name, bytes as padded standard base64) in RFC 8785 key order.
const RT_SIG = 'MEYCIQC59oLS3MsCqm0xCxPOy+8FdQK4RYCZE036s3q1ECfcagIhAJ4ATXlCSdFrklKAS8No0PsAE9uLi37TCbIfRXASJTTb';
const RT_DIGEST_HEX = '5b3513f580c8397212ff2c8f459c199efc0c90e4354a5f3533adf0a3fff3a530';
const RT_DIGEST_B64 = 'WzUT9YDIOXIS/yyPRZwZnvwMkOQ1Sl81M63wo//zpTA=';
const RT_KEY = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeLw7gX40qy1z7JUhGMAaaDITbV7p2D+C5G9xPEsy/PVAo9H0mgS4NYzpGirkXxBht+IvvL19WR1X9ANXha5ldQ==';
const RT_CERT =
  'MIICGTCCAb+gAwIBAgIUbzTFcv75teYBpaXsDOoYUv5GgWgwCgYIKoZIzj0EAwIwYTELMAkGA1UEBhMCQVUxEzARBgNVBAgMClNvbWUtU3RhdGUxITAfBgNVBAoMGElu' +
  'dGVybmV0IFdpZGdpdHMgUHR5IEx0ZDEaMBgGA1UEAwwRdGVzdC5zaWdzdG9yZS5kZXYwIBcNMjUwMzI3MTc1MDQ2WhgPMjEyNTAzMDMxNzUwNDZaMGExCzAJBgNVBAYT' +
  'AkFVMRMwEQYDVQQIDApTb21lLVN0YXRlMSEwHwYDVQQKDBhJbnRlcm5ldCBXaWRnaXRzIFB0eSBMdGQxGjAYBgNVBAMMEXRlc3Quc2lnc3RvcmUuZGV2MFkwEwYHKoZI' +
  'zj0CAQYIKoZIzj0DAQcDQgAEeLw7gX40qy1z7JUhGMAaaDITbV7p2D+C5G9xPEsy/PVAo9H0mgS4NYzpGirkXxBht+IvvL19WR1X9ANXha5ldaNTMFEwHQYDVR0OBBYE' +
  'FJvvzmcqq8f+AiXCgAlE4IgdwTq+MB8GA1UdIwQYMBaAFJvvzmcqq8f+AiXCgAlE4IgdwTq+MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgAqzN4Noq' +
  'eH2jEARoIeXY0SRKnaNhVvullmremGvvd6QCIQDrL1WI3a7m8rlHN/7vvCCGtep1fRnK+CuN46tvzGu+9A==';
const RT_KEY_384 = 'MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEhM6AR/E5+rwuiWx5YE07ZpSNlG9NCFLbm+gjNn0q5uByc7GmCwH3fUF3SFyTDCm6+lm9DMiSQHpFqt1IP6HpnAzMwseTOsS7cc1SxluRyLGYAJEFcNxc01Y/9cT79mf/';
const RT_SIG_384 = 'MGUCMAq2KPdc07xIaNXOX8xNZGn11HFb5OIL049K1I5loaIiogGUunGwFWh/Ae00YBybNwIxALXYkptfZCa+fUfwIW3rbXWAs7vo+DfMyGPcddXfpej1m4i3z+4vL8OJtnrV6kc7lg==';
const RT_DIGEST_384_HEX = 'fe23e15e1b7ee8f48a7f878fedbee8f72a57fdf7c6141ddb0b00d23056c9da30e6c0c51588f0f888c830cfce8f29604c';
const RT_DIGEST_384_B64 = '/iPhXht+6PSKf4eP7b7o9ypX/ffGFB3bCwDSMFbJ2jDmwMUViPD4iMgwz86PKWBM';

function request(digest: string, content: string, verifier: Record<string, unknown>) {
  return { hashedRekordRequestV002: { digest, signature: { content, verifier } } };
}

describe('hashedrekord v0.0.2: byte-identical to rekor-tiles', () => {
  it('stores the rekor-tiles public-key vector as rekor-tiles does', () => {
    expect(Buffer.from(RT_DIGEST_HEX, 'hex').toString('base64')).toBe(RT_DIGEST_B64);
    const a = admitCreateEntryRequest(request(RT_DIGEST_B64, RT_SIG, { publicKey: { rawBytes: RT_KEY }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' }));
    expect(utf8(a.body)).toBe(
      '{"apiVersion":"0.0.2","kind":"hashedrekord","spec":{"hashedRekordV002":{"data":{"algorithm":"SHA2_256","digest":"' +
        RT_DIGEST_B64 +
        '"},"signature":{"content":"' +
        RT_SIG +
        '","verifier":{"keyDetails":"PKIX_ECDSA_P256_SHA_256","publicKey":{"rawBytes":"' +
        RT_KEY +
        '"}}}}}}',
    );
    expect(a.kind).toBe('hashedrekord/0.0.2');
    expect(a.indexKeys).toContain(`sha256:${RT_DIGEST_HEX}`);
  });

  it('stores the rekor-tiles certificate vector as rekor-tiles does', () => {
    const a = admitCreateEntryRequest(request(RT_DIGEST_B64, RT_SIG, { x509Certificate: { rawBytes: RT_CERT }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' }));
    expect(utf8(a.body)).toBe(
      '{"apiVersion":"0.0.2","kind":"hashedrekord","spec":{"hashedRekordV002":{"data":{"algorithm":"SHA2_256","digest":"' +
        RT_DIGEST_B64 +
        '"},"signature":{"content":"' +
        RT_SIG +
        '","verifier":{"keyDetails":"PKIX_ECDSA_P256_SHA_256","x509Certificate":{"rawBytes":"' +
        RT_CERT +
        '"}}}}}}',
    );
  });

  it('stores the rekor-tiles P-384 vector as rekor-tiles does', () => {
    expect(Buffer.from(RT_DIGEST_384_HEX, 'hex').toString('base64')).toBe(RT_DIGEST_384_B64);
    const a = admitCreateEntryRequest(request(RT_DIGEST_384_B64, RT_SIG_384, { publicKey: { rawBytes: RT_KEY_384 }, keyDetails: 'PKIX_ECDSA_P384_SHA_384' }));
    expect(utf8(a.body)).toContain('"data":{"algorithm":"SHA2_384","digest":"' + RT_DIGEST_384_B64 + '"}');
    expect(utf8(a.body)).toContain('"keyDetails":"PKIX_ECDSA_P384_SHA_384"');
  });

  it('reads both protojson field-name styles, enum numbers, URL-safe and unpadded base64 alike', () => {
    const want = admitCreateEntryRequest(request(RT_DIGEST_B64, RT_SIG, { publicKey: { rawBytes: RT_KEY }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' })).body;
    const proto = {
      hashed_rekord_request_v002: {
        digest: RT_DIGEST_B64.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'),
        signature: { content: RT_SIG, verifier: { public_key: { raw_bytes: RT_KEY }, key_details: 5 } },
      },
    };
    expect(Buffer.from(admitCreateEntryRequest(proto).body)).toEqual(Buffer.from(want));
  });

  const good: [KeySpec, string, 'sha256' | 'sha384' | 'sha512'][] = [
    ['p256', 'PKIX_ECDSA_P256_SHA_256', 'sha256'],
    ['p384', 'PKIX_ECDSA_P384_SHA_384', 'sha384'],
    ['p521', 'PKIX_ECDSA_P521_SHA_512', 'sha512'],
    ['rsa2048', 'PKIX_RSA_PKCS1V15_2048_SHA256', 'sha256'],
    ['rsa3072', 'PKIX_RSA_PKCS1V15_3072_SHA256', 'sha256'],
    ['rsa4096', 'PKIX_RSA_PKCS1V15_4096_SHA256', 'sha256'],
    // The registry is checked by (key, digest), as rekor-tiles does.
    ['rsa4096', 'PKIX_RSA_PKCS1V15_2048_SHA256', 'sha256'],
  ];
  it.each(good)('admits a %s key under %s', (spec, details, alg) => {
    const { privateKey, publicKey } = keyPair(spec);
    const artifact = Buffer.from(`v2 ${spec}`);
    const a = admitCreateEntryRequest(request(b64(digestOf(alg, artifact)), b64(signArtifact(privateKey, alg, artifact)), { publicKey: { rawBytes: der(publicKey) }, keyDetails: details }));
    expect(utf8(a.body)).toContain(`"keyDetails":"${details}"`);
    expect(a.derivedKeys).toBe(true);
    expect(storedSearchKeys(a.kind, a.body)).toEqual(a.indexKeys);
  });

  it('admits Ed25519ph over a SHA-512 digest', async () => {
    const { privateKey, publicKey } = keyPair('ed25519');
    const artifact = Buffer.from('v2 ed25519ph');
    const sig = await signEd25519ph(privateKey, artifact);
    const a = admitCreateEntryRequest(request(b64(digestOf('sha512', artifact)), b64(sig), { publicKey: { rawBytes: der(publicKey) }, keyDetails: 'PKIX_ED25519_PH' }));
    expect(utf8(a.body)).toContain('"algorithm":"SHA2_512"');
    expect(a.derivedKeys).toBe(true);
    expect(storedSearchKeys(a.kind, a.body)).toEqual(a.indexKeys);
  });
});

describe('hashedrekord v0.0.2: bad input is INVALID_ENTRY', () => {
  const { privateKey, publicKey } = keyPair('p256');
  const artifact = Buffer.from('bad input');
  const digest = b64(digestOf('sha256', artifact));
  const sig = b64(signArtifact(privateKey, 'sha256', artifact));
  const verifier = { publicKey: { rawBytes: der(publicKey) }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' };
  const x25519 = der(generateKeyPairSync('x25519').publicKey);
  const rsa2560 = der(generateKeyPairSync('rsa', { modulusLength: 2560 }).publicKey);
  const hr = (patch: Record<string, unknown>) => ({ hashedRekordRequestV002: { digest, signature: { content: sig, verifier }, ...patch } });
  const withVerifier = (v: Record<string, unknown>) => hr({ signature: { content: sig, verifier: v } });

  const cases: [string, unknown, RegExp][] = [
    ['not an object', [], /must be an object/],
    ['no request member', {}, /exactly one of/],
    ['both request members', { hashedRekordRequestV002: {}, dsseRequestV002: {} }, /exactly one of/],
    ['unknown top-level field', { ...hr({}), extra: 1 }, /unknown field "extra"/],
    ['unknown nested field', hr({ signature: { content: sig, verifier, foo: true } }), /unknown field "foo"/],
    ['a field under both its names', { hashedRekordRequestV002: { ...hr({}).hashedRekordRequestV002 }, hashed_rekord_request_v002: {} }, /given twice|exactly one/],
    ['missing digest', hr({ digest: undefined }), /digest is missing/],
    ['missing signature', hr({ signature: null }), /signature is missing/],
    ['missing signature content', hr({ signature: { verifier } }), /content is missing/],
    ['missing verifier', hr({ signature: { content: sig } }), /verifier is missing/],
    ['verifier without key', withVerifier({ keyDetails: 'PKIX_ECDSA_P256_SHA_256' }), /exactly one of publicKey, x509Certificate/],
    ['empty key bytes', withVerifier({ publicKey: { rawBytes: '' }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' }), /rawBytes is missing/],
    ['digest not base64', hr({ digest: '!!!' }), /not valid base64/],
    ['digest a number', hr({ digest: 5 }), /base64 string/],
    ['wrong digest length', hr({ digest: b64(Buffer.alloc(20)) }), /digest is 20 bytes/],
    ['SHA-512 digest for a P-256 key', hr({ digest: b64(digestOf('sha512', artifact)) }), /digest is 64 bytes/],
    ['pure Ed25519 is not allowed', withVerifier({ ...verifier, keyDetails: 'PKIX_ED25519' }), /not an allowed signing algorithm/],
    ['RSA-PSS is not allowed', withVerifier({ ...verifier, keyDetails: 'PKIX_RSA_PSS_2048_SHA256' }), /not an allowed signing algorithm/],
    ['keyDetails for another curve', withVerifier({ ...verifier, keyDetails: 'PKIX_ECDSA_P384_SHA_384' }), /unsupported entry algorithm for ECDSA P-256 key, digest sha384/],
    ['unknown keyDetails name', withVerifier({ ...verifier, keyDetails: 'PKIX_FOO' }), /unknown enum value/],
    ['unspecified keyDetails', withVerifier({ publicKey: verifier.publicKey }), /PUBLIC_KEY_DETAILS_UNSPECIFIED is not an allowed/],
    ['RSA key of a size the registry lacks', withVerifier({ publicKey: { rawBytes: rsa2560 }, keyDetails: 'PKIX_RSA_PKCS1V15_2048_SHA256' }), /unsupported entry algorithm for RSA-2560/],
    ['unknown key type (X25519)', withVerifier({ publicKey: { rawBytes: x25519 }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' }), /unsupported public key/],
    ['key bytes that are not DER', withVerifier({ publicKey: { rawBytes: b64('not a key') }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' }), /does not parse/],
    ['a public key sent as a certificate', withVerifier({ x509Certificate: { rawBytes: der(publicKey) }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' }), /certificate does not parse/],
    ['signature that does not verify', hr({ signature: { content: b64(signArtifact(privateKey, 'sha256', Buffer.from('other'))), verifier } }), /does not verify/],
    ['signature by another key', hr({ signature: { content: b64(signArtifact(keyPair('p384').privateKey, 'sha256', artifact)), verifier } }), /does not verify/],
    ['oversized signature', hr({ signature: { content: b64(Buffer.alloc(5000)), verifier } }), /longer than 4096 bytes/],
  ];
  it.each(cases)('%s', (_name, req, message) => {
    expect(expectCode(() => admitCreateEntryRequest(req), 'INVALID_ENTRY')).toMatch(message);
  });
});

describe('dsse v0.0.2', () => {
  const PAYLOAD = Buffer.from('{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"' + 'cd'.repeat(32) + '"}}]}');
  const TYPE = 'application/vnd.in-toto+json';
  const pae = (type: string, body: Buffer) => Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
  const p256 = keyPair('p256');
  const p384 = keyPair('p384');
  const sig256 = sign('sha256', pae(TYPE, PAYLOAD), p256.privateKey);
  const sig384 = sign('sha384', pae(TYPE, PAYLOAD), p384.privateKey);
  const v256 = { publicKey: { rawBytes: der(p256.publicKey) }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' };
  const v384 = { publicKey: { rawBytes: der(p384.publicKey) }, keyDetails: 'PKIX_ECDSA_P384_SHA_384' };
  const req = (sigs: Buffer[], verifiers: unknown[], payload = PAYLOAD) => ({
    dsseRequestV002: { envelope: { payload: b64(payload), payloadType: TYPE, signatures: sigs.map((s) => ({ sig: b64(s), keyid: '' })) }, verifiers },
  });

  it('stores payload hash and signatures sorted by their bytes, each with its verifier', () => {
    const a = admitCreateEntryRequest(req([sig384, sig256], [v384, v256]));
    const [first, second] = Buffer.compare(sig256, sig384) < 0 ? [[sig256, v256], [sig384, v384]] : [[sig384, v384], [sig256, v256]];
    const sigJson = ([s, v]: (Buffer | typeof v256)[]) =>
      `{"content":"${b64(s as Buffer)}","verifier":{"keyDetails":"${(v as typeof v256).keyDetails}","publicKey":{"rawBytes":"${(v as typeof v256).publicKey.rawBytes}"}}}`;
    expect(utf8(a.body)).toBe(
      '{"apiVersion":"0.0.2","kind":"dsse","spec":{"dsseV002":{"payloadHash":{"algorithm":"SHA2_256","digest":"' +
        b64(createHash('sha256').update(PAYLOAD).digest()) +
        `"},"signatures":[${sigJson(first)},${sigJson(second)}]}}}`,
    );
    expect(a.kind).toBe('dsse/0.0.2');
    expect(a.indexKeys).toContain(`sha256:${'cd'.repeat(32)}`);
    expect(a.derivedKeys).toBeUndefined(); // its payload's keys are not in the body: stored
  });

  const cases: [string, unknown, RegExp][] = [
    ['missing envelope', { dsseRequestV002: { verifiers: [v256] } }, /envelope is missing/],
    ['no verifiers', req([sig256], []), /verifiers is missing/],
    ['no signatures', req([], [v256]), /signatures is missing/],
    ['empty signature', req([Buffer.alloc(0)], [v256]), /sig is missing/],
    ['unknown envelope field', { dsseRequestV002: { ...req([sig256], [v256]).dsseRequestV002, envelope: { payload: '', payloadType: TYPE, signatures: [], x: 1 } } }, /unknown field "x"/],
    ['more than 10 verifiers', req([sig256], Array(11).fill(v256)), /more than 10/],
    ['duplicate verifiers', req([sig256], [v256, v256]), /duplicate verifier/],
    ['a signature no verifier verifies', req([sig256, sig384], [v256]), /every envelope signature/],
    ['a verifier that verifies nothing', req([sig256], [v384]), /verifies no signature/],
    ['a signature over another payload', req([sig256], [v256], Buffer.from('other')), /verifies no signature/],
    ['a disallowed algorithm', req([sig256], [{ ...v256, keyDetails: 'PKIX_ECDSA_P384_SHA_256' }]), /not an allowed/],
  ];
  it.each(cases)('refuses %s', (_name, r, message) => {
    expect(expectCode(() => admitCreateEntryRequest(r), 'INVALID_ENTRY')).toMatch(message);
  });
});
