/**
 * Tampered proofs are rejected: a named mutation catalogue (after transparency-dev/merkle's
 * corrupt*Proof probes) applied to every proof of every tree up to MAX leaves, plus malformed
 * inputs. Size mutations are special: when the mutated sizes give the verifier exactly the same
 * walk (same number of elements, each on the same side) it cannot tell them apart, so there the
 * test asserts acceptance instead — which also checks that this is the only way they pass.
 */
import { describe, expect, it } from 'vitest';
import { isCairnError } from '../../src/errors.js';
import { EMPTY_ROOT, rootFromInclusionProof, verifyConsistency, verifyInclusion } from '../../src/merkle/index.js';
import { refConsistencyRanges, refInclusionRanges, ReferenceTree } from './reference.js';

const MAX = 40;
const ref = new ReferenceTree();
for (let i = 0; i < MAX; i++) ref.push(new TextEncoder().encode(`entry ${i}`));

// Every element of every proof gets flipped: the longest proofs up to MAX have these lengths.
const MAX_INCLUSION_LEN = Math.ceil(Math.log2(MAX));
const MAX_CONSISTENCY_LEN = MAX_INCLUSION_LEN + 1;

const SOME_HASH = new Uint8Array(32).fill(0xab);

function flip(h: Uint8Array, byte = 0, bit = 3): Uint8Array {
  const c = h.slice();
  c[byte] ^= 1 << bit;
  return c;
}

/** outcome returns 'ok', 'BAD_PROOF', or the unexpected error's text. */
function outcome(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return isCairnError(e, 'BAD_PROOF') ? 'BAD_PROOF' : String(e);
  }
}

interface Inc {
  leaf: Uint8Array;
  index: number;
  size: number;
  proof: Uint8Array[];
  root: Uint8Array;
}

/** inclusionShape is the verifier's walk: for each element, whether it sits left of the leaf. */
function inclusionShape(index: number, size: number): string {
  if (!(index >= 0 && index < size)) return 'invalid';
  return refInclusionRanges(BigInt(index), BigInt(size)).map(([, end]) => (end <= BigInt(index) ? 'L' : 'R')).join('');
}

type IncMutation = { name: string; sizeChange?: boolean; apply: (p: Inc) => Inc | undefined };

const inclusionMutations: IncMutation[] = [
  { name: 'truncated', apply: (p) => (p.proof.length ? { ...p, proof: p.proof.slice(0, -1) } : undefined) },
  { name: 'extended with root', apply: (p) => ({ ...p, proof: [...p.proof, p.root] }) },
  { name: 'extended with some hash', apply: (p) => ({ ...p, proof: [...p.proof, SOME_HASH] }) },
  { name: 'preceded by leaf', apply: (p) => ({ ...p, proof: [p.leaf, ...p.proof] }) },
  { name: 'inserted element', apply: (p) => (p.proof.length > 1 ? { ...p, proof: [p.proof[0], SOME_HASH, ...p.proof.slice(1)] } : undefined) },
  { name: 'index - 1', apply: (p) => ({ ...p, index: p.index - 1 }) },
  { name: 'index + 1', apply: (p) => ({ ...p, index: p.index + 1 }) },
  { name: 'index xor 2', apply: (p) => ({ ...p, index: p.index % 4 < 2 ? p.index + 2 : p.index - 2 }) },
  { name: 'size - 1', sizeChange: true, apply: (p) => ({ ...p, size: p.size - 1 }) },
  { name: 'size + 1', sizeChange: true, apply: (p) => ({ ...p, size: p.size + 1 }) },
  { name: 'size * 2', sizeChange: true, apply: (p) => ({ ...p, size: p.size * 2 }) },
  { name: 'size / 2', sizeChange: true, apply: (p) => ({ ...p, size: Math.floor(p.size / 2) }) },
  { name: 'wrong leaf', apply: (p) => ({ ...p, leaf: flip(p.leaf) }) },
  { name: 'wrong root', apply: (p) => ({ ...p, root: flip(p.root, 31, 0) }) },
  { name: 'empty-tree root', apply: (p) => ({ ...p, root: EMPTY_ROOT }) },
  { name: 'leaf as root', apply: (p) => (p.size > 1 ? { ...p, root: p.leaf } : undefined) },
  ...Array.from({ length: MAX_INCLUSION_LEN }, (_, k): IncMutation => ({
    name: `element ${k} bit-flipped`,
    apply: (p) => (k < p.proof.length ? { ...p, proof: p.proof.map((h, j) => (j === k ? flip(h) : h)) } : undefined),
  })),
  ...Array.from({ length: MAX_INCLUSION_LEN - 1 }, (_, k): IncMutation => ({
    name: `elements ${k},${k + 1} swapped`,
    apply: (p) => (k + 1 < p.proof.length ? { ...p, proof: p.proof.map((h, j) => (j === k ? p.proof[k + 1] : j === k + 1 ? p.proof[k] : h)) } : undefined),
  })),
];

describe('inclusion mutation catalogue', () => {
  it(`every mutation of every inclusion proof up to size ${MAX} is rejected`, () => {
    const wrong: string[] = [];
    const applied = new Map<string, number>();
    for (let size = 1; size <= MAX; size++) {
      for (let index = 0; index < size; index++) {
        expect(ref.inclusion(index, size).length).toBeLessThanOrEqual(MAX_INCLUSION_LEN);
        const good: Inc = { leaf: ref.leafHashes[index], index, size, proof: ref.inclusion(index, size), root: ref.mth(0, size) };
        expect(outcome(() => verifyInclusion(good.leaf, index, size, good.proof, good.root))).toBe('ok');
        for (const m of inclusionMutations) {
          const p = m.apply(good);
          if (!p) continue;
          applied.set(m.name, (applied.get(m.name) ?? 0) + 1);
          const sameWalk = m.sizeChange && inclusionShape(index, p.size) === inclusionShape(index, size);
          const want = sameWalk ? 'ok' : 'BAD_PROOF';
          const got = outcome(() => verifyInclusion(p.leaf, p.index, p.size, p.proof, p.root));
          if (got !== want) wrong.push(`${m.name} of (${index}, ${size}): got ${got}, want ${want}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(inclusionMutations.map((m) => m.name).filter((n) => !applied.has(n))).toEqual([]);
  });

  it('every single-bit corruption of every proof byte is rejected (sizes up to 12)', () => {
    let rejected = 0;
    for (let size = 2; size <= 12; size++) {
      for (let index = 0; index < size; index++) {
        const proof = ref.inclusion(index, size);
        for (let e = 0; e < proof.length; e++) {
          for (let b = 0; b < 32; b++) {
            const bad = proof.map((h, j) => (j === e ? flip(h, b, (b + e) % 8) : h));
            expect(outcome(() => verifyInclusion(ref.leafHashes[index], index, size, bad, ref.mth(0, size)))).toBe('BAD_PROOF');
            rejected++;
          }
        }
      }
    }
    expect(rejected).toBeGreaterThan(1000);
  });
});

interface Con {
  m: number;
  n: number;
  proof: Uint8Array[];
  rootM: Uint8Array;
  rootN: Uint8Array;
}

/** consistencyShape is the verifier's walk: whether rootM seeds it, and each element's side of m. */
function consistencyShape(m: number, n: number): string {
  if (!(m > 0 && m < n)) return `trivial ${m} ${n}`;
  const seeded = (m & (m - 1)) === 0 ? 'seeded:' : ''; // test-only: m < 2^31
  return seeded + refConsistencyRanges(BigInt(m), BigInt(n)).map(([, end]) => (end <= BigInt(m) ? 'L' : 'R')).join('');
}

type ConMutation = { name: string; sizeChange?: boolean; apply: (p: Con) => Con | undefined };

const consistencyMutations: ConMutation[] = [
  { name: 'truncated', apply: (p) => ({ ...p, proof: p.proof.slice(0, -1) }) },
  { name: 'empty proof', apply: (p) => ({ ...p, proof: [] }) },
  { name: 'extended with rootM', apply: (p) => ({ ...p, proof: [...p.proof, p.rootM] }) },
  { name: 'extended with rootN', apply: (p) => ({ ...p, proof: [...p.proof, p.rootN] }) },
  { name: 'extended with some hash', apply: (p) => ({ ...p, proof: [...p.proof, SOME_HASH] }) },
  { name: 'preceded by rootM', apply: (p) => ({ ...p, proof: [p.rootM, ...p.proof] }) },
  { name: 'preceded by rootN', apply: (p) => ({ ...p, proof: [p.rootN, ...p.proof] }) },
  { name: 'preceded by proof[0]', apply: (p) => ({ ...p, proof: [p.proof[0], ...p.proof] }) },
  { name: 'm - 1', sizeChange: true, apply: (p) => ({ ...p, m: p.m - 1 }) },
  { name: 'm + 1', sizeChange: true, apply: (p) => ({ ...p, m: p.m + 1 }) },
  { name: 'm xor 2', sizeChange: true, apply: (p) => ({ ...p, m: p.m % 4 < 2 ? p.m + 2 : p.m - 2 }) },
  { name: 'n - 1', sizeChange: true, apply: (p) => ({ ...p, n: p.n - 1 }) },
  { name: 'n + 1', sizeChange: true, apply: (p) => ({ ...p, n: p.n + 1 }) },
  { name: 'n * 2', sizeChange: true, apply: (p) => ({ ...p, n: p.n * 2 }) },
  { name: 'n / 2', sizeChange: true, apply: (p) => ({ ...p, n: Math.floor(p.n / 2) }) },
  { name: 'swapped roots', apply: (p) => ({ ...p, rootM: p.rootN, rootN: p.rootM }) },
  { name: 'wrong rootM', apply: (p) => ({ ...p, rootM: flip(p.rootM, 31, 0) }) },
  { name: 'wrong rootN', apply: (p) => ({ ...p, rootN: flip(p.rootN, 31, 0) }) },
  ...Array.from({ length: MAX_CONSISTENCY_LEN }, (_, k): ConMutation => ({
    name: `element ${k} bit-flipped`,
    apply: (p) => (k < p.proof.length ? { ...p, proof: p.proof.map((h, j) => (j === k ? flip(h, 0, 4) : h)) } : undefined),
  })),
  ...Array.from({ length: MAX_CONSISTENCY_LEN - 1 }, (_, k): ConMutation => ({
    name: `elements ${k},${k + 1} swapped`,
    apply: (p) => (k + 1 < p.proof.length ? { ...p, proof: p.proof.map((h, j) => (j === k ? p.proof[k + 1] : j === k + 1 ? p.proof[k] : h)) } : undefined),
  })),
];

describe('consistency mutation catalogue', () => {
  it(`every mutation of every non-trivial consistency proof up to size ${MAX} is rejected`, () => {
    const wrong: string[] = [];
    const applied = new Map<string, number>();
    for (let n = 2; n <= MAX; n++) {
      for (let m = 1; m < n; m++) {
        expect(ref.consistency(m, n).length).toBeLessThanOrEqual(MAX_CONSISTENCY_LEN);
        const good: Con = { m, n, proof: ref.consistency(m, n), rootM: ref.mth(0, m), rootN: ref.mth(0, n) };
        expect(outcome(() => verifyConsistency(m, n, good.proof, good.rootM, good.rootN))).toBe('ok');
        for (const mu of consistencyMutations) {
          const p = mu.apply(good);
          if (!p) continue;
          applied.set(mu.name, (applied.get(mu.name) ?? 0) + 1);
          const sameWalk = mu.sizeChange && consistencyShape(p.m, p.n) === consistencyShape(m, n);
          const want = sameWalk ? 'ok' : 'BAD_PROOF';
          const got = outcome(() => verifyConsistency(p.m, p.n, p.proof, p.rootM, p.rootN));
          if (got !== want) wrong.push(`${mu.name} of (${m}, ${n}): got ${got}, want ${want}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(consistencyMutations.map((m) => m.name).filter((n) => !applied.has(n))).toEqual([]);
  });
});

describe('malformed inputs', () => {
  const leaf = ref.leafHashes[2];
  const proof = ref.inclusion(2, 5);
  const root = ref.mth(0, 5);
  const r3 = ref.mth(0, 3);
  const cproof = ref.consistency(3, 5);

  it.each([
    { name: 'short leaf hash', fn: () => verifyInclusion(leaf.slice(1), 2, 5, proof, root) },
    { name: 'long root', fn: () => verifyInclusion(leaf, 2, 5, proof, new Uint8Array(33)) },
    { name: 'empty proof element', fn: () => verifyInclusion(leaf, 2, 5, [new Uint8Array(0), ...proof.slice(1)], root) },
    { name: 'index == size', fn: () => verifyInclusion(leaf, 5, 5, proof, root) },
    { name: 'negative index', fn: () => verifyInclusion(leaf, -1, 5, proof, root) },
    { name: 'size 0', fn: () => rootFromInclusionProof(leaf, 0, 0, []) },
    { name: 'fractional size', fn: () => rootFromInclusionProof(leaf, 2, 5.5, proof) },
    { name: 'unsafe size', fn: () => rootFromInclusionProof(leaf, 2, 2 ** 53, proof) },
    { name: 'size-1 tree with a proof', fn: () => verifyInclusion(leaf, 0, 1, [SOME_HASH], leaf) },
    { name: 'm > n', fn: () => verifyConsistency(5, 3, cproof, root, r3) },
    { name: 'm == n, roots differ', fn: () => verifyConsistency(3, 3, [], r3, root) },
    { name: 'm == n, non-empty proof', fn: () => verifyConsistency(3, 3, [SOME_HASH], r3, r3) },
    { name: 'm == 0, non-empty proof', fn: () => verifyConsistency(0, 3, [SOME_HASH], EMPTY_ROOT, r3) },
    { name: 'm == 0, rootM not the empty root', fn: () => verifyConsistency(0, 3, [], SOME_HASH, r3) },
    { name: 'short rootN', fn: () => verifyConsistency(3, 5, cproof, r3, root.slice(1)) },
    { name: 'NaN m', fn: () => verifyConsistency(NaN, 5, cproof, r3, root) },
  ])('$name → BAD_PROOF', ({ fn }) => {
    expect(outcome(fn)).toBe('BAD_PROOF');
  });

  it.each([
    { name: 'm == n == 0', fn: () => verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT) },
    { name: 'm == 0 < n', fn: () => verifyConsistency(0, 5, [], EMPTY_ROOT, root) },
    { name: 'm == n', fn: () => verifyConsistency(5, 5, [], root, root) },
    { name: 'size-1 tree', fn: () => verifyInclusion(leaf, 0, 1, [], leaf) },
  ])('$name is accepted', ({ fn }) => {
    expect(outcome(fn)).toBe('ok');
  });
});
