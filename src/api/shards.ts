/**
 * The API's view of a log's shards (log/shards.ts): each shard's Rekor formatter, and the lookups
 * Rekor v1 spreads over every shard (rekor pkg/api/entries.go, pkg/sharding): a virtual log index
 * resolved to its shard, an entry ID routed by its 16-hex tree ID, a bare UUID looked up in every
 * shard (the active one first), a search run in every shard. Log reads are awaited, so a driver
 * with asynchronous reads fits unchanged.
 */
import { CairnError } from '../errors.js';
import { treeIdHex, type AnyLog, type Shard, type Shards, type StoredEntry } from '../log/index.js';
import { RekorFormatter, asciiJson, hex } from './rekor-format.js';

/** ShardView is one shard as the API serves it. */
export interface ShardView {
  shard: Shard;
  log: AnyLog;
  fmt: RekorFormatter;
  /** The shard's tree ID as entry IDs carry it. */
  treeIdHex: string;
}

/** Found is an entry and the shard that holds it. */
export interface Found {
  view: ShardView;
  entry: StoredEntry;
}

export class ShardViews {
  private readonly views = new Map<AnyLog, ShardView>();
  private inactive?: { count: number; json: string };

  constructor(readonly shards: Shards) {}

  /** of returns the view of a shard (made once per shard). */
  of(shard: Shard): ShardView {
    let v = this.views.get(shard.log);
    if (!v || v.shard !== shard) {
      // A shard's record is replaced once, when it is frozen: the view follows it, the formatter stays.
      v = { shard, log: shard.log, fmt: v?.fmt ?? new RekorFormatter(shard.log), treeIdHex: treeIdHex(shard.log.treeId) };
      this.views.set(shard.log, v);
    }
    return v;
  }

  get active(): ShardView {
    return this.of(this.shards.active);
  }

  /** all returns every shard's view, oldest first. */
  all(): ShardView[] {
    return this.shards.list.map((s) => this.of(s));
  }

  /** byTreeIdHex returns the shard an entry ID's tree ID names, if it is one of ours. */
  byTreeIdHex(tree: string): ShardView | undefined {
    return this.all().find((v) => v.treeIdHex === tree);
  }

  /** byTreeIdParam returns the shard a Rekor treeID query parameter names (the active one when absent); 400 otherwise, as rekor answers. */
  byTreeIdParam(treeId: string | undefined): ShardView {
    if (treeId === undefined) return this.active;
    if (!/^[0-9]{1,19}$/.test(treeId)) throw new CairnError('BAD_REQUEST', `invalid tree ID specified: ${treeId}`);
    const s = this.shards.byTreeId(BigInt(treeId).toString());
    if (!s) throw new CairnError('BAD_REQUEST', `no log range found for tree ID ${treeId}`);
    return this.of(s);
  }

  /** byName returns the shard served under /shards/<name>/; 404 otherwise. */
  byName(name: string): ShardView {
    const s = this.shards.byName(name);
    if (!s) throw new CairnError('NOT_FOUND', `no shard named "${name}"`);
    return this.of(s);
  }

  /** entryAt returns the entry at virtual log index v, in whichever shard holds it. */
  async entryAt(v: number): Promise<Found | undefined> {
    const at = this.shards.locate(v);
    if (!at) return undefined;
    const entry = await at.shard.log.entryByIndexGathered(at.index);
    return entry && { view: this.of(at.shard), entry };
  }

  /**
   * entryByLeafHash returns the entries with this leaf hash: in the shard tree names (an entry
   * ID's 16 hex digits), or, for a bare UUID, in every shard, the active one first.
   */
  async entryByLeafHash(leafHash: Uint8Array, tree?: string): Promise<Found[]> {
    const views = tree === undefined ? this.all().reverse() : [this.byTreeIdHex(tree)].filter((v) => v !== undefined);
    const found: Found[] = [];
    for (const view of views) {
      const entry = await view.log.entryByLeafHash(leafHash);
      if (entry) found.push({ view, entry });
    }
    return found;
  }

  /** search returns up to limit entries carrying key in every shard, in virtual index order. */
  async search(key: string, limit: number): Promise<{ view: ShardView; index: number }[]> {
    const hits: { view: ShardView; index: number }[] = [];
    for (const view of this.all()) {
      if (hits.length >= limit) break;
      for (const index of await view.log.search(key, limit - hits.length)) hits.push({ view, index });
    }
    return hits;
  }

  /** inactiveShards returns GET /api/v1/log's inactiveShards: each frozen shard's final tree, oldest first. */
  inactiveShards(): string {
    const frozen = this.shards.list.filter((s) => s.record.frozen);
    if (this.inactive?.count !== frozen.length) {
      // A frozen shard's checkpoint never changes: computed once per rotation.
      const items = frozen.map((s) => {
        const c = s.log.latest();
        return `{"rootHash":"${hex(c.rootHash)}","signedTreeHead":${asciiJson(c.rekor)},"treeID":${JSON.stringify(s.log.treeId)},"treeSize":${c.size}}`;
      });
      this.inactive = { count: frozen.length, json: `[${items.join(',')}]` };
    }
    return this.inactive.json;
  }
}
