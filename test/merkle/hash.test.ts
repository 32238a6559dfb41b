import { describe, expect, it } from 'vitest';
import { bytesEqual, EMPTY_ROOT, HASH_SIZE, leafHash, nodeHash } from '../../src/merkle/index.js';
import { hex } from './helpers.js';
import { refLeafHash, refNodeHash } from './reference.js';

describe('hash', () => {
  it('EMPTY_ROOT is SHA-256 of the empty string', () => {
    expect(hex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(HASH_SIZE).toBe(32);
  });

  it('leafHash of the empty leaf is the RFC 6962 vector', () => {
    expect(hex(leafHash(new Uint8Array(0)))).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  });

  it.each([0, 1, 31, 300, 4095, 4096, 4097, 100_000])('leafHash of %i bytes matches SHA-256(0x00 || d)', (len) => {
    const d = new Uint8Array(len).map((_, i) => (i * 7 + len) % 251);
    expect(hex(leafHash(d))).toBe(hex(refLeafHash(d)));
  });

  it('nodeHash matches SHA-256(0x01 || l || r) and is not commutative', () => {
    const l = leafHash(Uint8Array.of(1));
    const r = leafHash(Uint8Array.of(2));
    expect(hex(nodeHash(l, r))).toBe(hex(refNodeHash(l, r)));
    expect(hex(nodeHash(l, r))).not.toBe(hex(nodeHash(r, l)));
  });

  it('returns plain, independent Uint8Arrays (scratch buffers never leak)', () => {
    const a = nodeHash(EMPTY_ROOT, EMPTY_ROOT);
    const b = nodeHash(a, a);
    const c = leafHash(Uint8Array.of(9));
    expect(Object.getPrototypeOf(a)).toBe(Uint8Array.prototype);
    expect(a.buffer).not.toBe(b.buffer);
    expect(hex(a)).toBe(hex(refNodeHash(EMPTY_ROOT, EMPTY_ROOT)));
    expect(hex(c)).toBe(hex(refLeafHash(Uint8Array.of(9))));
    expect([a, b, c].every((h) => h.length === HASH_SIZE)).toBe(true);
  });

  it('nodeHash rejects inputs that are not 32-byte hashes (a bug)', () => {
    expect(() => nodeHash(new Uint8Array(31), EMPTY_ROOT)).toThrow(/merkle/);
  });

  it('bytesEqual', () => {
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1), Uint8Array.of(1, 2))).toBe(false);
  });
});
