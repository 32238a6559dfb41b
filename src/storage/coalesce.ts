import type { Awaitable } from './contract.js';

/**
 * Coalesce gathers the keys asked for during one turn of the event loop and fetches them with one
 * call: on PostgreSQL the sequencer's dedup lookups (every leaf of a batch at once) and the entries
 * of the uploads one commit answers become one round trip each instead of one per key, on a pool of
 * a few connections that the queue's writes need too; on SQLite a turn's entry reads become one
 * statement (one read transaction) and their responses are written together (Log.entryByIndexGathered).
 * A key asked for twice in a turn is fetched once.
 */
export class Coalesce<K extends string | number, V> {
  private asked = new Map<K, { resolve: (v: V | undefined) => void; reject: (e: unknown) => void }[]>();
  private scheduled = false;

  /** fetch returns the values found for keys (a key not found is left out); it may answer at once. */
  constructor(private readonly fetch: (keys: K[]) => Awaitable<Map<K, V>>) {}

  get(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const list = this.asked.get(key);
      if (list) list.push({ resolve, reject });
      else this.asked.set(key, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const asked = this.asked;
    this.asked = new Map();
    this.scheduled = false;
    let found: Promise<Map<K, V>>;
    try {
      found = Promise.resolve(this.fetch([...asked.keys()]));
    } catch (e) {
      // A synchronous fetch that throws fails its turn's keys, not the process (this runs in setImmediate).
      found = Promise.reject(e);
    }
    found.then(
      (m) => {
        for (const [k, list] of asked) for (const w of list) w.resolve(m.get(k));
      },
      (e: unknown) => {
        for (const list of asked.values()) for (const w of list) w.reject(e);
      },
    );
  }
}
