import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, rootNodes, type NodeId } from '../../src/merkle/index.js';
import { CompactRange } from './compact-range.js';
import { hex, refReader } from './helpers.js';
import { ReferenceTree } from './reference.js';

const MAX = 300;
const ref = new ReferenceTree();
for (let i = 0; i < MAX; i++) ref.push(new TextEncoder().encode(`leaf ${i}`));
const perfect = (n: NodeId) => ref.mth(n.index * 2 ** n.level, (n.index + 1) * 2 ** n.level);

describe('CompactRange', () => {
  it(`root equals the reference MTH for every size 0..${MAX}, and visit reports every completed node`, () => {
    const range = new CompactRange();
    expect(hex(range.root())).toBe(hex(EMPTY_ROOT));
    const wrong: string[] = [];
    let visited = 0;
    for (let size = 1; size <= MAX; size++) {
      range.append(ref.leafHashes[size - 1], (node, h) => {
        visited++;
        if (hex(h) !== hex(perfect(node))) wrong.push(`node ${node.level}/${node.index} at size ${size}`);
      });
      expect(range.size).toBe(size);
      if (hex(range.root()) !== hex(ref.mth(0, size))) wrong.push(`root ${size}`);
      if (range.hashes.map(hex).join() !== rootNodes(size).map(perfect).map(hex).join()) wrong.push(`edge ${size}`);
    }
    expect(wrong).toEqual([]);
    expect(visited).toBe(2 * MAX - 1 - (MAX.toString(2).replaceAll('0', '').length - 1)); // every perfect node of the tree
  });

  it.each([1, 2, 3, 7, 64, 100, 255, 256, 257])('fromReader(%i) resumes appending with one read', (start) => {
    const reader = refReader(ref);
    const range = CompactRange.fromReader(start, reader.within(start));
    reader.expectCalls(1);
    for (let size = start + 1; size <= start + 40; size++) {
      range.append(ref.leafHashes[size - 1]);
      expect(hex(range.root())).toBe(hex(ref.mth(0, size)));
    }
  });

  it('rejects an edge that does not fit its size (a bug)', () => {
    expect(() => new CompactRange(3, [EMPTY_ROOT])).toThrow(/compact range/);
    expect(() => new CompactRange(1, [new Uint8Array(5)])).toThrow(/compact range/);
    expect(() => new CompactRange(-1, [])).toThrow(/compact range/);
    expect(() => new CompactRange().append(new Uint8Array(31))).toThrow(/leaf hash/);
  });

  it('works at sizes above 2^32 (edge arithmetic only)', () => {
    const size = 2 ** 32 + 2 ** 31 + 1; // three perfect subtrees: 2^32, 2^31, 1
    const edge = [0, 1, 2].map((i) => new Uint8Array(32).fill(i + 1));
    const range = new CompactRange(size, edge);
    const seen: NodeId[] = [];
    range.append(new Uint8Array(32).fill(9), (n) => seen.push(n));
    expect(seen).toEqual([
      { level: 0, index: size },
      { level: 1, index: (size + 1) / 2 - 1 },
    ]);
    expect(range.size).toBe(size + 1);
    expect(range.hashes.length).toBe(3);
  });
});
