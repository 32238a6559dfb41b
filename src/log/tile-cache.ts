import { CairnError } from '../errors.js';
import { ExpandedTile, TILE_HEIGHT, TILE_WIDTH, bytesEqual, nodeInTile, type NodeId, type ReadNodes } from '../merkle/index.js';
import { andThen, isPromise, type Awaitable } from './awaitable.js';

/**
 * TileCache answers the merkle layer's batched node reads from the tree's C2SP tiles (height 8),
 * which the storage driver keeps. Each tile read is expanded once into all its internal nodes and
 * kept in a bounded LRU, so a warm proof is only map lookups.
 *
 * The sequencer install()s a batch's tiles once the storage has committed them, so readers never
 * see tiles of an uncommitted batch.
 *
 * The merkle math stays synchronous over an async driver through run(f): f runs at once, and if
 * a tile it needs is neither cached nor answered synchronously by the driver, the reads throw
 * TilesPending after noting every such tile; run fetches them and runs f again over what it
 * fetched (more rounds only for parents that checkParent then needs). With SQLite, or when
 * every tile is cached, f runs exactly once, as before.
 */
export class TileCache<S extends boolean = true> {
  private readonly lru = new Map<TileKey, ExpandedTile>();
  /** Tile reads that missed the cache (for metrics and tests). */
  misses = 0;

  /** Tiles fetched for the run(f) attempt under way (see run). */
  private fetched?: Map<TileKey, Uint8Array | ExpandedTile | undefined>;
  /** Driver reads an attempt found pending. */
  private waits?: Map<TileKey, Promise<Uint8Array | undefined>>;
  /** The generation each tile of `fetched` was asked for in (see generation). */
  private fetchedIn?: Map<TileKey, number>;
  /** Parents read again in the run(f) under way because they were older than a full child (see checkParent). */
  private reread?: Set<TileKey>;
  /**
   * Bumped whenever the cache's partial tiles may have grown (install, forgetPartial). A partial
   * tile read asynchronously within one generation is at least as new as the tree this node
   * serves, so it is cached; one asked for before a bump may be older, so it serves its read only.
   */
  private generation = 0;

  /** @param load reads a tile's stored bytes (the storage driver's tile()). */
  constructor(
    private readonly load: (level: number, index: number) => Loaded<S>,
    readonly cacheSize = 8192,
  ) {}

  /** get returns the stored bytes of tile (level, index): full or the current partial, or undefined. */
  get(level: number, index: number): Loaded<S> {
    const cached = this.lru.get(tileKey(level, index));
    if (cached) return cached.data as Loaded<S>;
    return this.load(level, index);
  }

  /**
   * edge returns tile (level, index) expanded, unchecked, for the sequencer's batch preparation:
   * from the cache, else from the driver. A partial tile read asynchronously is not cached: a
   * batch may commit a wider version meanwhile, which the cache must not lose to the older one.
   */
  edge(level: number, index: number): Awaitable<ExpandedTile | undefined> {
    const hit = this.lru.get(tileKey(level, index));
    if (hit) return hit;
    this.misses++;
    return andThen(this.load(level, index) as Awaitable<Uint8Array | undefined>, (stored) => stored && new ExpandedTile(new Uint8Array(stored)));
  }

  /**
   * run returns f(), where f reads tiles only through read and readNodes and has no effect before
   * its reads: at once when every tile is at hand, else after fetching what it asked for.
   */
  run<T>(f: () => T): Awaitable<T> {
    this.waits = undefined;
    const asked = this.generation;
    const reread = new Set<TileKey>();
    this.reread = reread;
    try {
      return f();
    } catch (e) {
      if (e !== PENDING) throw e;
      return this.fetchAndRun(f, new Map(), new Map(), asked, reread);
    } finally {
      this.reread = undefined;
    }
  }

  private async fetchAndRun<T>(f: () => T, fetched: Map<TileKey, Uint8Array | ExpandedTile | undefined>, fetchedIn: Map<TileKey, number>, asked: number, reread: Set<TileKey>): Promise<T> {
    for (;;) {
      const waits = this.waits!;
      this.waits = undefined;
      const keys = [...waits.keys()];
      const got = await Promise.all(waits.values());
      keys.forEach((k, i) => (fetched.set(k, got[i]), fetchedIn.set(k, asked)));
      this.fetched = fetched;
      this.fetchedIn = fetchedIn;
      this.reread = reread;
      asked = this.generation; // the tiles this attempt finds missing are asked for now
      try {
        return f();
      } catch (e) {
        if (e !== PENDING) throw e;
      } finally {
        this.fetched = undefined;
        this.fetchedIn = undefined;
        this.reread = undefined;
      }
    }
  }

  /**
   * read returns what get does, but a full tile read from disk is first checked against its
   * parent (CORRUPT on a mismatch), as node reads are: for everything served to clients.
   * get stays raw for the sequencer and for verify-db, which reports mismatches itself.
   */
  read(level: number, index: number): Uint8Array | undefined {
    return this.expanded(level, index)?.data;
  }

  /**
   * readNodesOver returns a node reader that sees `pending` tiles (keyed by tileKey) over the
   * stored ones: the sequencer's view, which includes batches still being committed. Since
   * tiles only grow, a node complete in an older version of a tile has the same hash in every
   * newer one, so one map of each tile's newest version serves proofs at every size.
   */
  readNodesOver(pending: ReadonlyMap<TileKey, ExpandedTile>, extra?: ReadonlyMap<TileKey, ExpandedTile>): ReadNodes {
    return (nodes) => this.nodes(nodes, pending, extra);
  }

  /** install puts tiles whose transaction has committed into the cache, replacing older versions. */
  install(tiles: Iterable<[TileKey, ExpandedTile]>): void {
    this.generation++;
    for (const [k, t] of tiles) {
      this.lru.delete(k);
      this.remember(k, t);
    }
  }

  /** forgetPartial drops cached partial tiles: another node's sequencer has grown them (a follower's refresh). */
  forgetPartial(): void {
    this.generation++;
    for (const [k, t] of this.lru) if (t.width < TILE_WIDTH) this.lru.delete(k);
  }

  /** readNodes is the merkle.ReadNodes of this store: every node must be complete in the stored tree. */
  readonly readNodes: ReadNodes = (nodes: readonly NodeId[]) => this.nodes(nodes);

  /** nodes reads every node, noting all tiles still to fetch before it throws PENDING for them. */
  private nodes(nodes: readonly NodeId[], overlay?: ReadonlyMap<TileKey, ExpandedTile>, extra?: ReadonlyMap<TileKey, ExpandedTile>): Uint8Array[] {
    const out: Uint8Array[] = new Array(nodes.length);
    let pending = false;
    for (let i = 0; i < nodes.length; i++) {
      try {
        out[i] = this.node(nodes[i], overlay, extra);
      } catch (e) {
        if (e !== PENDING) throw e;
        pending = true;
      }
    }
    if (pending) throw PENDING;
    return out;
  }

  private node(n: NodeId, overlay?: ReadonlyMap<TileKey, ExpandedTile>, extra?: ReadonlyMap<TileKey, ExpandedTile>): Uint8Array {
    const { tile, start, count } = nodeInTile(n);
    const k = tileKey(tile.level, tile.index);
    const t = overlay?.get(k) ?? extra?.get(k) ?? this.expanded(tile.level, tile.index);
    if (!t || t.width < start + count) {
      throw new Error(`log: tile ${tile.level}/${tile.index} missing or too short for node ${n.level}/${n.index}`);
    }
    return t.node(n.level % 8, start / count);
  }

  private expanded(level: number, index: number): ExpandedTile | undefined {
    const k = tileKey(level, index);
    const hit = this.lru.get(k);
    if (hit) {
      // Re-insert to mark as most recently used.
      this.lru.delete(k);
      this.lru.set(k, hit);
      return hit;
    }
    let stored: Uint8Array | undefined;
    let fetched = false;
    if (this.fetched?.has(k)) {
      const f = this.fetched.get(k);
      if (f instanceof ExpandedTile) return f;
      stored = f;
      fetched = true;
    } else {
      // Asked for already in this attempt (another node of the same tile): one load a tile.
      if (this.waits?.has(k)) throw PENDING;
      this.misses++;
      const loaded: Awaitable<Uint8Array | undefined> = this.load(level, index);
      if (isPromise(loaded)) {
        // If f fails otherwise first (a CORRUPT tile after this one), the next run drops this
        // fetch unawaited: its failure (a cut connection) must not be an unhandled rejection,
        // which ends the process. Whoever awaits it still sees the error.
        loaded.then(undefined, () => {});
        (this.waits ??= new Map()).set(k, loaded);
        throw PENDING;
      }
      stored = loaded;
    }
    if (!stored) return undefined;
    const t = new ExpandedTile(new Uint8Array(stored));
    if (t.width === TILE_WIDTH) this.checkParent(level, index, t);
    // A partial tile fetched asynchronously may already be older than what a batch committed (or
    // a follower's refresh found) meanwhile (see edge): then it serves this read only; asked for
    // and answered within one generation it is current, and cached (a follower's right edge, which
    // no batch of its own installs). Full tiles never change.
    if (!fetched || t.width === TILE_WIDTH || this.fetchedIn?.get(k) === this.generation) this.remember(k, t);
    else this.fetched!.set(k, t);
    return t;
  }

  /**
   * checkParent compares a full tile read from disk with the hash its parent tile holds for it.
   * Why: the start-up check covers only the right edge, so a damaged full tile deep in the tree
   * would otherwise be served as wrong tiles and proofs until verify-db ran. Parents are checked
   * the same way when they load, so a full tile is tied through its ancestors to the right edge.
   * (A partial right-edge tile re-read after eviction is not checked; start-up checks it.)
   */
  private checkParent(level: number, index: number, t: ExpandedTile): void {
    const pi = Math.floor(index / TILE_WIDTH);
    let parent = this.expanded(level + 1, pi);
    const at = index % TILE_WIDTH;
    const pk = tileKey(level + 1, pi);
    if (parent && parent.width <= at && this.reread && !this.reread.has(pk)) {
      // A partial parent older than this full child: a follower cached it (or read it first in
      // this run) before another node's batch filled the child. Read it again, once a run; only a
      // parent still too short after that is damage.
      this.reread.add(pk);
      this.lru.delete(pk);
      this.fetched?.delete(pk);
      parent = this.expanded(level + 1, pi);
    }
    // The sequencer writes a tile's hash into its parent in the transaction that fills the tile,
    // so a missing or short parent is damage too.
    if (!parent || parent.width <= at || !bytesEqual(t.node(TILE_HEIGHT, 0), parent.node(0, at))) {
      throw new CairnError('CORRUPT', `stored tile ${level}/${index} does not hash to the value its parent tile ${level + 1}/${Math.floor(index / TILE_WIDTH)} holds for it; run cairn verify-db`);
    }
  }

  private remember(k: TileKey, t: ExpandedTile): void {
    this.lru.set(k, t);
    if (this.lru.size > this.cacheSize) {
      const oldest = this.lru.keys().next().value as TileKey;
      this.lru.delete(oldest);
    }
  }
}

/** Loaded is what the driver's tile read returns: at once when S (a synchronous driver), else Awaitable. */
export type Loaded<S extends boolean> = S extends true ? Uint8Array | undefined : Awaitable<Uint8Array | undefined>;

/**
 * PENDING is thrown by reads that need a tile the driver has not answered yet; run() catches it.
 * Outside run() it surfaces as this error: a caller forgot to go through run().
 */
const PENDING = new Error('log: a tile read is pending on the storage driver (read tiles through TileCache.run)');

/**
 * TileKey names tile (level, index) in the maps of readNodesOver and install: a number, not a
 * string, since every node read builds one (index * 64 + level is exact: levels are 0..63, and
 * a tile index stays below 2^47 for any tree a safe integer can count).
 */
export type TileKey = number;

export function tileKey(level: number, index: number): TileKey {
  return index * 64 + level;
}
