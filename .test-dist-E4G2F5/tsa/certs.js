/**
 * The TSA's certificate chain: a self-signed root and a leaf for the timestamping key, built with
 * @peculiar/asn1-x509 and signed with node:crypto. The leaf carries what RFC 3161 §2.3 and
 * OpenSSL's timestamp purpose check require: a critical extendedKeyUsage of exactly
 * id-kp-timeStamping, and keyUsage digitalSignature only.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, AuthorityKeyIdentifier, BasicConstraints, Certificate, ExtendedKeyUsage, Extension, Extensions, KeyIdentifier, KeyUsage, KeyUsageFlags, Name, RelativeDistinguishedName, SubjectKeyIdentifier, SubjectPublicKeyInfo, TBSCertificate, Validity, Version, id_ce_authorityKeyIdentifier, id_ce_basicConstraints, id_ce_extKeyUsage, id_ce_keyUsage, id_ce_subjectKeyIdentifier, id_kp_timeStamping, } from '@peculiar/asn1-x509';
/** ECDSA_WITH: the X.509 signature algorithm OID for ECDSA with each hash (RFC 5758 §3.2). */
export const ECDSA_WITH = { sha256: '1.2.840.10045.4.3.2', sha384: '1.2.840.10045.4.3.3', sha512: '1.2.840.10045.4.3.4' };
const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
/** signingHashOf returns the hash that goes with an ECDSA key's curve (P-256 → sha256, P-384 → sha384, P-521 → sha512). */
export function signingHashOf(key) {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (key.asymmetricKeyType !== 'ec')
        throw new Error(`tsa: key must be ECDSA, not ${key.asymmetricKeyType}`);
    if (curve === 'prime256v1')
        return 'sha256';
    if (curve === 'secp384r1')
        return 'sha384';
    if (curve === 'secp521r1')
        return 'sha512';
    throw new Error(`tsa: unsupported curve ${curve}`);
}
function name(cn) {
    const rdn = (type, v) => new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: v }) })]);
    return new Name([rdn(OID_O, 'Cairn'), rdn(OID_CN, cn)]);
}
function ext(extnID, critical, value) {
    return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}
function keyId(spki) {
    return createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest();
}
/** issueCertificate returns the DER of a certificate for spec.publicKey signed by spec.issuerKey. */
export function issueCertificate(s) {
    const spki = AsnConvert.parse(s.publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
    const issuerSpki = AsnConvert.parse(s.issuerPublicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
    const hash = signingHashOf(s.issuerKey);
    const alg = new AlgorithmIdentifier({ algorithm: ECDSA_WITH[hash] });
    const extensions = s.ca
        ? [
            ext(id_ce_basicConstraints, true, new BasicConstraints({ cA: true, pathLenConstraint: 0 })),
            ext(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
        ]
        : [
            ext(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
            ext(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
            ext(id_ce_extKeyUsage, true, new ExtendedKeyUsage([s.eku ?? id_kp_timeStamping])),
        ];
    extensions.push(ext(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyId(spki))), ext(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyId(issuerSpki)) })));
    const serial = randomSerial(16);
    const tbs = new TBSCertificate({
        version: Version.v3,
        serialNumber: ab(serial),
        signature: alg,
        issuer: name(s.issuer),
        validity: new Validity({ notBefore: s.notBefore, notAfter: s.notAfter }),
        subject: name(s.subject),
        subjectPublicKeyInfo: spki,
        extensions: new Extensions(extensions),
    });
    const tbsDer = AsnConvert.serialize(tbs);
    const signature = sign(hash, new Uint8Array(tbsDer), s.issuerKey);
    const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: alg, signatureValue: ab(signature) });
    return new Uint8Array(AsnConvert.serialize(cert));
}
/**
 * randomSerial returns n random bytes usable as a DER INTEGER as they are (serial numbers are
 * written byte for byte): positive, and minimal, so the first byte is neither 0x00 nor ≥ 0x80.
 */
export function randomSerial(n, bytes = randomBytes(n)) {
    const out = Uint8Array.from(bytes.subarray(0, n));
    out[0] = (out[0] & 0x7f) || 1;
    return out;
}
/**
 * generateTsa returns a new ECDSA P-256 timestamping key with a leaf certificate issued by a new
 * root, both valid from a day before now for validYears; the root's private key is discarded.
 */
export function generateTsa(name, now, validYears = 10) {
    const root = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const notBefore = new Date(now.getTime() - 86_400_000);
    const notAfter = new Date(now.getTime() + validYears * 365 * 86_400_000);
    const rootDer = issueCertificate({
        subject: `${name} TSA root`,
        issuer: `${name} TSA root`,
        publicKey: root.publicKey,
        issuerKey: root.privateKey,
        issuerPublicKey: root.publicKey,
        ca: true,
        notBefore,
        notAfter,
    });
    const leafDer = issueCertificate({
        subject: `${name} TSA`,
        issuer: `${name} TSA root`,
        publicKey: leaf.publicKey,
        issuerKey: root.privateKey,
        issuerPublicKey: root.publicKey,
        ca: false,
        notBefore,
        notAfter,
    });
    return {
        keyPem: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        chainPem: toPem(leafDer) + toPem(rootDer),
    };
}
/** toPem returns a CERTIFICATE PEM block with 64-column lines. */
export function toPem(der) {
    const b64 = Buffer.from(der).toString('base64');
    return `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;
}
/** ab returns a copy of b's bytes as an ArrayBuffer (what @peculiar's INTEGER and BIT STRING fields take). */
function ab(b) {
    return new Uint8Array(b).buffer;
}
/** publicKeyOf returns the public key of a private key. */
export function publicKeyOf(key) {
    return createPublicKey(key);
}
