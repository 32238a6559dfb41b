/**
 * Ed25519 signing through libsodium (the sodium-native package) where it loads: ~24 µs a SET
 * here against ~51 µs through node:crypto (bench/sign.ts), whose OpenSSL 3.0 does Ed25519's
 * field arithmetic in 32-bit limbs. The log signs a SET for every upload and a checkpoint for every
 * batch, on the thread that sequences. Ed25519 signatures are deterministic (RFC 8032), so both
 * give the same bytes (test/note/ed25519.test.ts); without the package, node:crypto signs.
 */
import { createRequire } from 'node:module';
import type { KeyObject } from 'node:crypto';

/** Sodium is the part of sodium-native used here. */
interface Sodium {
  crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(sig: Uint8Array, msg: Uint8Array, sk: Uint8Array): void;
}

let sodium: Sodium | null | undefined;

function loadSodium(): Sodium | null {
  if (sodium === undefined) {
    try {
      sodium = createRequire(import.meta.url)('sodium-native') as Sodium;
    } catch {
      sodium = null; // not installed, or no build for this platform
    }
  }
  return sodium;
}

/** sodiumSigner returns a libsodium signer for an Ed25519 private key, or undefined when libsodium is not there. */
export function sodiumSigner(priv: KeyObject): ((msg: Uint8Array) => Uint8Array) | undefined {
  const na = loadSodium();
  if (!na || priv.asymmetricKeyType !== 'ed25519') return undefined;
  const seed = Buffer.from(priv.export({ format: 'jwk' }).d!, 'base64url');
  const pk = new Uint8Array(32);
  const sk = new Uint8Array(64);
  na.crypto_sign_seed_keypair(pk, sk, seed);
  seed.fill(0);
  return (msg) => {
    const sig = new Uint8Array(64);
    na.crypto_sign_detached(sig, msg, sk);
    return sig;
  };
}
