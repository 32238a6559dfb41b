/**
 * RFC 6962 §2.1.1–2.1.2 proofs computed as "plan the nodes, fetch once, combine" (tlog style):
 * each proof element is MTH of a range of leaves, and every range is split into the perfect
 * subtrees a ReadNodes can serve; one batched read fetches them all, and each element is the
 * right-to-left nodeHash fold of its range's subtrees. Read count: one ReadNodes call per
 * operation, none when the result needs no node (size 0 root, size-1 or trivial proofs).
 */
import { CairnError } from '../errors.js';
import { bitLength, countOnes, isSafeIndex, largestPow2Below, pow2 } from './bits.js';
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './hash.js';
/** pushRange appends the perfect-subtree decomposition of leaves [start, start+count), largest first. */
function pushRange(nodes, start, count) {
    let pieces = 0;
    while (count > 0) {
        const level = bitLength(count) - 1; // one iteration per set bit of count, largest first
        const width = pow2(level);
        if (start % width !== 0)
            throw new Error(`merkle: bad math: range at ${start} not aligned to ${width}`);
        nodes.push({ level, index: start / width });
        start += width;
        count -= width;
        pieces++;
    }
    return pieces;
}
/**
 * planRanges turns top-down [start, count, start, count, …] ranges into a bottom-up Plan. With a
 * memo, a ragged range (count not a power of two) it already holds is planned as no nodes.
 */
function planRanges(ranges, memo) {
    const plan = { nodes: [], counts: [] };
    if (memo) {
        plan.known = [];
        plan.ragged = [];
    }
    for (let i = ranges.length - 2; i >= 0; i -= 2) {
        const start = ranges[i];
        const count = ranges[i + 1];
        if (memo && countOnes(count) > 1) {
            const h = memo.get(start, count);
            plan.known.push(h);
            plan.ragged.push(h ? undefined : [start, count]);
            plan.counts.push(h ? 0 : pushRange(plan.nodes, start, count));
            continue;
        }
        plan.known?.push(undefined);
        plan.ragged?.push(undefined);
        plan.counts.push(pushRange(plan.nodes, start, count));
    }
    return plan;
}
/** inclusionRanges returns the top-down leaf ranges of PATH(index, D[0:size]) (RFC 6962 §2.1.1). */
function inclusionRanges(index, size) {
    const ranges = [];
    let lo = 0;
    let n = size;
    while (n > 1) {
        const k = largestPow2Below(n);
        if (index < lo + k) {
            ranges.push(lo + k, n - k); // PATH(m, D[0:k]) : MTH(D[k:n])
            n = k;
        }
        else {
            ranges.push(lo, k); // PATH(m - k, D[k:n]) : MTH(D[0:k])
            lo += k;
            n -= k;
        }
    }
    return ranges;
}
/** consistencyRanges returns the top-down leaf ranges of PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true) (RFC 6962 §2.1.2). */
function consistencyRanges(m, n) {
    const ranges = [];
    if (m === 0 || m === n)
        return ranges;
    let lo = 0;
    let complete = true; // the RFC's flag b: D[lo:lo+m] is a subtree whose hash the verifier already has
    while (m !== n) {
        const k = largestPow2Below(n);
        if (m <= k) {
            ranges.push(lo + k, n - k); // SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            n = k;
        }
        else {
            ranges.push(lo, k); // SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            lo += k;
            m -= k;
            n -= k;
            complete = false;
        }
    }
    if (!complete)
        ranges.push(lo, n); // SUBPROOF(m, D[m], false) = {MTH(D[m])}
    return ranges;
}
/** combine folds each element's node hashes right to left into the proof element. */
function combine(plan, read, memo) {
    if (plan.counts.length === 0)
        return [];
    const hashes = plan.nodes.length > 0 ? read(plan.nodes) : [];
    if (hashes.length !== plan.nodes.length) {
        throw new Error(`merkle: ReadNodes returned ${hashes.length} hashes for ${plan.nodes.length} nodes`);
    }
    const proof = new Array(plan.counts.length);
    let end = 0;
    for (let e = 0; e < plan.counts.length; e++) {
        const known = plan.known?.[e];
        if (known) {
            proof[e] = known.slice();
            continue;
        }
        const start = end;
        end += plan.counts[e];
        let h = checked(hashes[end - 1]);
        for (let j = end - 2; j >= start; j--)
            h = nodeHash(checked(hashes[j]), h);
        const ragged = plan.ragged?.[e];
        if (ragged && memo)
            memo.set(ragged[0], ragged[1], h.slice());
        proof[e] = h;
    }
    return proof;
}
function checked(h) {
    if (h?.length !== HASH_SIZE)
        throw new Error(`merkle: ReadNodes returned a ${h?.length}-byte hash`);
    return h;
}
function groups(plan) {
    const out = [];
    let at = 0;
    for (const c of plan.counts)
        out.push(plan.nodes.slice(at, (at += c)));
    return out;
}
function checkSize(name, n) {
    if (!isSafeIndex(n))
        throw new CairnError('BAD_REQUEST', `${name} must be a non-negative safe integer, got ${n}`);
}
function checkInclusion(index, size) {
    checkSize('index', index);
    checkSize('size', size);
    if (index >= size)
        throw new CairnError('BAD_REQUEST', `index ${index} is not below tree size ${size}`);
}
function checkConsistency(m, n) {
    checkSize('first size', m);
    checkSize('second size', n);
    if (m > n)
        throw new CairnError('BAD_REQUEST', `first size ${m} exceeds second size ${n}`);
}
/** rootNodes returns the perfect subtrees that make up leaves [0, size), left to right (largest first). */
export function rootNodes(size) {
    checkSize('size', size);
    const nodes = [];
    pushRange(nodes, 0, size);
    return nodes;
}
/** rootHash returns MTH(D[0:size]), EMPTY_ROOT for 0, reading the rootNodes(size) hashes in one call. */
export function rootHash(size, read, memo) {
    checkSize('size', size);
    if (size === 0)
        return EMPTY_ROOT.slice();
    return combine(planRanges([0, size], memo), read, memo)[0];
}
/**
 * inclusionProofNodes returns the plan of inclusionProof(index, size): for each proof element,
 * leaf side first, the perfect nodes whose right-to-left nodeHash fold is that element. Throws
 * CairnError BAD_REQUEST unless 0 <= index < size.
 */
export function inclusionProofNodes(index, size) {
    checkInclusion(index, size);
    return groups(planRanges(inclusionRanges(index, size)));
}
/**
 * consistencyProofNodes returns the plan of consistencyProof(m, n), in the same shape as
 * inclusionProofNodes. Throws CairnError BAD_REQUEST unless 0 <= m <= n.
 */
export function consistencyProofNodes(m, n) {
    checkConsistency(m, n);
    return groups(planRanges(consistencyRanges(m, n)));
}
/**
 * inclusionProof returns the RFC 6962 audit path PATH(index, D[0:size]), leaf side first, with
 * one ReadNodes call (none for size 1, or when memo holds every ragged range). A memo MUST only
 * be shared between calls over the same leaves (one log). Throws CairnError BAD_REQUEST unless 0 <= index < size.
 */
export function inclusionProof(index, size, read, memo) {
    checkInclusion(index, size);
    return combine(planRanges(inclusionRanges(index, size), memo), read, memo);
}
/**
 * inclusionProofs returns inclusionProof(i, size) for every i in [from, to), with one ReadNodes
 * call for all of them. Why: a batch's receipts are proofs of neighbouring leaves to one size,
 * and neighbours share most elements (1,024 proofs of ~20 elements have only ~1,040 distinct
 * ones), so each distinct element is read and folded once instead of once per proof. Proofs
 * share element arrays with each other: do not mutate them.
 */
export function inclusionProofs(from, to, size, read, memo) {
    checkSize('range end', to);
    if (to < from)
        throw new CairnError('BAD_REQUEST', `range end ${to} is below its start ${from}`);
    if (to === from)
        return [];
    checkInclusion(from, size);
    checkInclusion(to - 1, size);
    // One descent of the RFC recursion for the whole range: every node on the way to a leaf of
    // [from, to) is visited once, and the sibling range taken at each step is a distinct element.
    const unique = []; // top-down [start, count, ...] of the distinct ranges
    const perProof = new Array(to - from);
    const path = []; // element ids from the root down to the node being visited
    const visit = (lo, n) => {
        if (n === 1) {
            // Proof order is bottom-up: the deepest sibling is the first element.
            const ids = new Array(path.length);
            for (let e = 0; e < path.length; e++)
                ids[e] = path[path.length - 1 - e];
            perProof[lo - from] = ids;
            return;
        }
        const k = largestPow2Below(n);
        if (from < lo + k) {
            path.push(unique.length / 2);
            unique.push(lo + k, n - k); // PATH(m, D[0:k]) : MTH(D[k:n])
            visit(lo, k);
            path.pop();
        }
        if (to > lo + k) {
            path.push(unique.length / 2);
            unique.push(lo, k); // PATH(m - k, D[k:n]) : MTH(D[0:k])
            visit(lo + k, n - k);
            path.pop();
        }
    };
    visit(0, size);
    // combine emits elements in reverse order of the range list it was planned from.
    const folded = combine(planRanges(unique, memo), read, memo);
    const last = folded.length - 1;
    return perProof.map((ids) => ids.map((id) => folded[last - id]));
}
/**
 * consistencyProof returns the RFC 6962 consistency proof PROOF(m, D[0:n]), with one ReadNodes
 * call; it is empty (and reads nothing) when m == 0 or m == n. Throws CairnError BAD_REQUEST
 * unless 0 <= m <= n.
 */
export function consistencyProof(m, n, read, memo) {
    checkConsistency(m, n);
    return combine(planRanges(consistencyRanges(m, n), memo), read, memo);
}
