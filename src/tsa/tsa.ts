/**
 * An RFC 3161 timestamp authority: a TimestampRequest in, a DER TimeStampResp out, built with
 * @peculiar/asn1-tsp / asn1-cms and signed with node:crypto. The token is CMS SignedData over a
 * TSTInfo, one SignerInfo identified by issuer and serial, whose signed attributes are
 * contentType, signingTime, messageDigest and signingCertificateV2 (RFC 5816; OpenSSL's
 * `ts -verify` requires an ESS signing-certificate attribute).
 */
import { createHash, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
  id_signedData,
} from '@peculiar/asn1-cms';
import { MessageImprint, PKIStatus, PKIStatusInfo, TSTInfo, TimeStampResp, id_ct_tstInfo } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { CairnError } from '../errors.js';
import { ECDSA_WITH, signingHashOf, type SigningHash } from './certs.js';
import { HASH_OID, type TimestampRequest } from './request.js';

/** DEFAULT_POLICY is the TSA policy OID sigstore's timestamp-authority issues under by default. */
export const DEFAULT_POLICY = '1.3.6.1.4.1.57264.2';

// RFC 5652 §11 and RFC 5035 §3 attribute types.
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';
const OID_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';

/** TsaOptions configure a TimestampAuthority. */
export interface TsaOptions {
  /** The timestamping key (ECDSA P-256, P-384 or P-521). */
  key: KeyObject;
  /** The certificate chain, leaf (the key's certificate) first, DER. */
  chain: Uint8Array[];
  policy?: string;
  /** Clock in Unix milliseconds. */
  now?: () => number;
}

/** TimestampAuthority issues RFC 3161 timestamps. */
export class TimestampAuthority {
  readonly policy: string;
  readonly chain: readonly Uint8Array[];
  private readonly key: KeyObject;
  private readonly hash: SigningHash;
  private readonly now: () => number;
  private readonly leaf: Certificate;
  private readonly leafDer: Uint8Array;
  /** The DER signingCertificateV2 attribute value: the same for every token. */
  private readonly essCert: ArrayBuffer;

  constructor(opts: TsaOptions) {
    if (opts.chain.length === 0) throw new CairnError('CONFIG', 'TSA certificate chain is empty');
    this.key = opts.key;
    this.hash = signingHashOf(opts.key);
    this.chain = opts.chain;
    this.policy = opts.policy ?? DEFAULT_POLICY;
    this.now = opts.now ?? Date.now;
    this.leafDer = opts.chain[0];
    this.leaf = AsnConvert.parse(this.leafDer, Certificate);
    const x509 = new X509Certificate(this.leafDer);
    if (!x509.checkPrivateKey(opts.key)) throw new CairnError('CONFIG', 'TSA key does not match the first certificate of the chain');
    // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }; ESSCertIDv2 with the
    // default hash (SHA-256) omits hashAlgorithm (RFC 5035 §4).
    const certHash = createHash('sha256').update(this.leafDer).digest();
    this.essCert = new asn1js.Sequence({
      value: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: certHash })] })] })],
    }).toBER();
  }

  /** certChainPem returns the chain as PEM, leaf first (GET /api/v1/timestamp/certchain). */
  certChainPem(): string {
    return this.chain.map((der) => new X509Certificate(der).toString()).join('');
  }

  /**
   * timestamp returns the DER TimeStampResp granting req, or throws CairnError BAD_REQUEST when
   * req asks for a policy this TSA does not issue under.
   */
  timestamp(req: TimestampRequest): Uint8Array {
    if (req.policy !== undefined && req.policy !== this.policy) {
      throw new CairnError('BAD_REQUEST', `unsupported TSA policy ${req.policy}; this TSA issues under ${this.policy}`);
    }
    // Whole seconds: GeneralizedTime without a fraction is what every verifier reads.
    const genTime = new Date(Math.floor(this.now() / 1000) * 1000);
    const serial = randomBytes(20);
    serial[0] &= 0x7f;
    const tstInfo = new TSTInfo({
      version: 1,
      policy: this.policy,
      messageImprint: new MessageImprint({
        hashAlgorithm: new AlgorithmIdentifier({ algorithm: HASH_OID[req.hash] }),
        hashedMessage: new OctetString(req.digest),
      }),
      serialNumber: serial.buffer.slice(serial.byteOffset, serial.byteOffset + serial.length),
      genTime,
      ...(req.nonce && { nonce: req.nonce.slice().buffer }),
    });
    const tstDer = new Uint8Array(AsnConvert.serialize(tstInfo));
    const signedData = this.sign(tstDer, genTime, req.certReq);
    const resp = new TimeStampResp({
      status: new PKIStatusInfo({ status: PKIStatus.granted }),
      timeStampToken: new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signedData) }),
    });
    return new Uint8Array(AsnConvert.serialize(resp));
  }

  private sign(tstDer: Uint8Array, genTime: Date, certReq: boolean): SignedData {
    const digestAlg = new AlgorithmIdentifier({ algorithm: HASH_OID[this.hash] });
    const attr = (attrType: string, value: ArrayBuffer) => new Attribute({ attrType, attrValues: [value] });
    const attrs = [
      attr(OID_CONTENT_TYPE, new asn1js.ObjectIdentifier({ value: id_ct_tstInfo }).toBER()),
      attr(OID_SIGNING_TIME, new asn1js.UTCTime({ valueDate: genTime }).toBER()),
      attr(OID_MESSAGE_DIGEST, new asn1js.OctetString({ valueHex: createHash(this.hash).update(tstDer).digest() }).toBER()),
      attr(OID_SIGNING_CERTIFICATE_V2, this.essCert),
    ];
    // DER orders a SET OF by the encodings of its elements (X.690 §11.6); the signature covers
    // the attributes as that DER SET (RFC 5652 §5.4).
    const encoded = attrs.map((a) => ({ a, der: Buffer.from(AsnConvert.serialize(a)) })).sort((x, y) => Buffer.compare(x.der, y.der));
    const set = new asn1js.Set({ value: encoded.map((e) => asn1js.fromBER(e.der).result) }).toBER();
    const signature = sign(this.hash, new Uint8Array(set), this.key);
    const signer = new SignerInfo({
      version: 1,
      sid: new SignerIdentifier({
        issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: this.leaf.tbsCertificate.issuer, serialNumber: this.leaf.tbsCertificate.serialNumber }),
      }),
      digestAlgorithm: digestAlg,
      signedAttrs: encoded.map((e) => e.a),
      signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ECDSA_WITH[this.hash] }),
      signature: new OctetString(signature),
    });
    return new SignedData({
      version: 3, // RFC 5652 §5.1: eContentType other than id-data
      digestAlgorithms: new DigestAlgorithmIdentifiers([digestAlg]),
      encapContentInfo: new EncapsulatedContentInfo({
        eContentType: id_ct_tstInfo,
        eContent: new EncapsulatedContent({ single: new OctetString(tstDer) }),
      }),
      ...(certReq && { certificates: new CertificateSet([new CertificateChoices({ certificate: this.leaf })]) }),
      signerInfos: new SignerInfos([signer]),
    });
  }
}
