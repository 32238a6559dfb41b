/**
 * An RFC 3161 timestamp authority: a TimestampRequest in, a DER TimeStampResp out, signed with
 * node:crypto. The token is CMS SignedData over a TSTInfo, one SignerInfo identified by issuer and
 * serial, whose signed attributes are contentType, signingTime, messageDigest and
 * signingCertificateV2 (RFC 5816; OpenSSL's `ts -verify` requires an ESS signing-certificate
 * attribute). The parts that never change (algorithm identifiers, signer identifier, the constant
 * attributes, the certificate) are serialized once by @peculiar/asn1-cms and -x509; each response
 * is then composed with asn1js around them. Serializing the whole response through @peculiar's
 * schema each time cost ~2 ms (it re-parses every ANY field), 50 times the ECDSA signature.
 */
import { createHash, sign, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Attribute, IssuerAndSerialNumber, SignerIdentifier, id_signedData } from '@peculiar/asn1-cms';
import { MessageImprint, PKIStatus, TSTInfo, id_ct_tstInfo } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { CairnError } from '../errors.js';
import { ECDSA_WITH, randomSerial, signingHashOf } from './certs.js';
import { HASH_OID } from './request.js';
/** DEFAULT_POLICY is the TSA policy OID sigstore's timestamp-authority issues under by default. */
export const DEFAULT_POLICY = '1.3.6.1.4.1.57264.2';
// RFC 5652 §11 and RFC 5035 §3 attribute types.
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';
const OID_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';
/** TimestampAuthority issues RFC 3161 timestamps. */
export class TimestampAuthority {
    policy;
    chain;
    key;
    hash;
    now;
    /** The constant parts, serialized once and parsed back into asn1js blocks (see the file comment). */
    der;
    constructor(opts) {
        if (opts.chain.length === 0)
            throw new CairnError('CONFIG', 'TSA certificate chain is empty');
        this.key = opts.key;
        this.hash = signingHashOf(opts.key);
        this.chain = opts.chain;
        this.policy = opts.policy ?? DEFAULT_POLICY;
        this.now = opts.now ?? Date.now;
        const leafDer = opts.chain[0];
        const leaf = AsnConvert.parse(leafDer, Certificate);
        const x509 = new X509Certificate(leafDer);
        if (!x509.checkPrivateKey(opts.key))
            throw new CairnError('CONFIG', 'TSA key does not match the first certificate of the chain');
        // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }; ESSCertIDv2 with the
        // default hash (SHA-256) omits hashAlgorithm (RFC 5035 §4).
        const certHash = createHash('sha256').update(leafDer).digest();
        const essCert = new asn1js.Sequence({
            value: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: certHash })] })] })],
        }).toBER();
        const attr = (attrType, value) => AsnConvert.serialize(new Attribute({ attrType, attrValues: [value] }));
        const { issuer, serialNumber } = leaf.tbsCertificate;
        this.der = {
            digestAlg: block(AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: HASH_OID[this.hash] }))),
            signatureAlg: block(AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: ECDSA_WITH[this.hash] }))),
            sid: block(AsnConvert.serialize(new SignerIdentifier({ issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer, serialNumber }) }))),
            leaf: block(leafDer.slice().buffer),
            constAttrs: [attr(OID_CONTENT_TYPE, new asn1js.ObjectIdentifier({ value: id_ct_tstInfo }).toBER()), attr(OID_SIGNING_CERTIFICATE_V2, essCert)].map(part),
        };
    }
    /** certChainPem returns the chain as PEM, leaf first (GET /api/v1/timestamp/certchain). */
    certChainPem() {
        return this.chain.map((der) => new X509Certificate(der).toString()).join('');
    }
    /**
     * timestamp returns the DER TimeStampResp granting req, or throws CairnError BAD_REQUEST when
     * req asks for a policy this TSA does not issue under.
     */
    timestamp(req) {
        if (req.policy !== undefined && req.policy !== this.policy) {
            throw new CairnError('BAD_REQUEST', `unsupported TSA policy ${req.policy}; this TSA issues under ${this.policy}`);
        }
        // Whole seconds: GeneralizedTime without a fraction is what every verifier reads.
        const genTime = new Date(Math.floor(this.now() / 1000) * 1000);
        const serial = randomSerial(20);
        const tstInfo = new TSTInfo({
            version: 1,
            policy: this.policy,
            messageImprint: new MessageImprint({
                hashAlgorithm: new AlgorithmIdentifier({ algorithm: HASH_OID[req.hash] }),
                hashedMessage: new OctetString(req.digest),
            }),
            serialNumber: serial.buffer, // randomSerial returns an array of its own
            genTime,
            ...(req.nonce && { nonce: req.nonce.slice().buffer }),
        });
        const tstDer = AsnConvert.serialize(tstInfo);
        // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo } (RFC 3161 §2.4.2)
        const resp = seq(seq(new asn1js.Integer({ value: PKIStatus.granted })), seq(oid(id_signedData), explicit0(this.signedData(tstDer, genTime, req.certReq))));
        return new Uint8Array(resp.toBER());
    }
    /** signedData returns the CMS SignedData (RFC 5652 §5.1) over a DER TSTInfo. */
    signedData(tstDer, genTime, certReq) {
        const d = this.der;
        const attrs = [
            ...d.constAttrs,
            part(seq(oid(OID_SIGNING_TIME), new asn1js.Set({ value: [new asn1js.UTCTime({ valueDate: genTime })] }))),
            part(seq(oid(OID_MESSAGE_DIGEST), new asn1js.Set({ value: [new asn1js.OctetString({ valueHex: createHash(this.hash).update(new Uint8Array(tstDer)).digest() })] }))),
        ];
        // DER orders a SET OF by the encodings of its elements (X.690 §11.6); the signature covers
        // the attributes as that DER SET (RFC 5652 §5.4).
        const sorted = attrs.sort((a, b) => Buffer.compare(a.der, b.der)).map((a) => a.block);
        const signature = sign(this.hash, new Uint8Array(new asn1js.Set({ value: sorted }).toBER()), this.key);
        const signerInfo = seq(new asn1js.Integer({ value: 1 }), d.sid, d.digestAlg, new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: sorted }), // signedAttrs [0] IMPLICIT
        d.signatureAlg, new asn1js.OctetString({ valueHex: signature }));
        return seq(new asn1js.Integer({ value: 3 }), // eContentType other than id-data
        new asn1js.Set({ value: [d.digestAlg] }), seq(oid(id_ct_tstInfo), explicit0(new asn1js.OctetString({ valueHex: tstDer }))), ...(certReq ? [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [d.leaf] })] : []), // certificates [0] IMPLICIT
        new asn1js.Set({ value: [signerInfo] }));
    }
}
function seq(...value) {
    return new asn1js.Sequence({ value });
}
function oid(value) {
    return new asn1js.ObjectIdentifier({ value });
}
function part(x) {
    return x instanceof ArrayBuffer ? { block: block(x), der: Buffer.from(x) } : { block: x, der: Buffer.from(x.toBER()) };
}
/** block parses DER the library wrote into an asn1js block, which re-encodes to the same bytes. */
function block(der) {
    const r = asn1js.fromBER(der);
    if (r.offset === -1 || r.offset !== der.byteLength)
        throw new Error('tsa: DER did not parse back');
    return r.result;
}
function explicit0(inner) {
    return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [inner] });
}
