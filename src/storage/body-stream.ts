/**
 * Entry bodies as one byte stream cut into page-sized chunks (table body_chunks, chunk n holding
 * bytes [n·C, (n+1)·C) of the stream), each entry naming where its body starts and how long it is.
 *
 * Why not a body per entries row, as before schema 7: SQLite never splits a row across pages
 * short of overflow, so ~1.1 KB rows (a hashedrekord with a certificate) pack 3 to a 4 KiB page
 * and leave ~0.5 KB of each page empty: ~170 B an entry, more than any other table (issue 16,
 * bench/README.md "Bodies in page-sized chunks"). A chunk of C bytes is the largest row that
 * still fits a page alone (bodyChunkSize), so the stream wastes ~1% of the body bytes whatever
 * the bodies' sizes. Like tlog-tiles' entry bundles, but cut by bytes, not by 256 entries: an entry
 * is read from the one or two chunks it spans (one or two page reads), not from a 256-entry blob,
 * and a batch rewrites only the last, partial chunk (one page, as the right edge of a row table).
 */
import type Database from 'better-sqlite3';

/** A connection (db.ts's Db, named here without importing db.ts, which imports this file). */
type Db = Database.Database;

/**
 * bodyChunkSize is C for a page size: the largest blob whose row (rowid table, payload = record
 * header + blob) SQLite keeps on one leaf page without overflow. Payload at most U - 35 (SQLite's
 * maxLocal for table leaves, U the usable page size), and the record header is 1 byte of header
 * size, 1 for column n (the rowid's alias, stored as NULL) and the blob's serial type varint (2
 * bytes below 8 KiB, 3 up to 64 KiB pages). One byte more and each chunk would spill a few bytes
 * onto an overflow page of its own (test/storage/body-chunks.test.ts checks there is none).
 */
export function bodyChunkSize(pageSize: number): number {
  return pageSize - 35 - 2 - (pageSize <= 8192 ? 2 : 3);
}

/** The meta key holding C, fixed when the stream is created (a later page size must not move chunk boundaries). */
export const BODY_CHUNK_META = 'body_chunk';

/** chunkSizeOf reads C from meta (schema 7 and later). */
export function chunkSizeOf(db: Db, schema = ''): number {
  const v = db.prepare<[string], string>(`SELECT value FROM ${schema}meta WHERE key = ?`).pluck().get(BODY_CHUNK_META);
  if (v === undefined) throw new Error('cairn.db has no body chunk size (schema older than 7?)');
  return Number(v);
}

const CHUNK_PUT_SQL = 'INSERT INTO body_chunks (n, data) VALUES (?, ?) ON CONFLICT (n) DO UPDATE SET data = excluded.data';

/**
 * BodyStream appends bodies at the stream's end, inside the caller's transaction: full chunks are
 * written as they fill, the last partial one by flush(). After a transaction that failed, reload()
 * before the next append (the stored end is then the truth again).
 */
export class BodyStream {
  private n = 0;
  private len = 0;
  private dirty = false;
  private readonly part: Uint8Array;
  private readonly last;
  private readonly put;

  constructor(
    db: Db,
    private readonly c: number,
  ) {
    this.part = new Uint8Array(c);
    this.last = db.prepare<[], { n: number; data: Buffer }>('SELECT n, data FROM body_chunks ORDER BY n DESC LIMIT 1');
    this.put = db.prepare(CHUNK_PUT_SQL);
    this.reload();
  }

  /** reload reads the stream's end from the database. */
  reload(): void {
    const r = this.last.get();
    this.dirty = false;
    if (r === undefined) [this.n, this.len] = [0, 0];
    else if (r.data.length >= this.c) [this.n, this.len] = [r.n + 1, 0];
    else {
      [this.n, this.len] = [r.n, r.data.length];
      this.part.set(r.data);
    }
  }

  /** end is the stream's length in bytes: where the next body starts. */
  get end(): number {
    return this.n * this.c + this.len;
  }

  /** append adds a body at the end and returns where it starts. */
  append(body: Uint8Array): number {
    const at = this.end;
    for (let o = 0; o < body.length; ) {
      const k = Math.min(this.c - this.len, body.length - o);
      this.part.set(body.subarray(o, o + k), this.len);
      this.len += k;
      o += k;
      this.dirty = true;
      if (this.len === this.c) {
        this.put.run(this.n, this.part);
        this.n++;
        this.len = 0;
        this.dirty = false;
      }
    }
    return at;
  }

  /** flush writes the partial last chunk, if it changed since the last write. */
  flush(): void {
    if (this.dirty && this.len > 0) this.put.run(this.n, this.part.subarray(0, this.len));
    this.dirty = false;
  }
}

/** BodyReader reads bodies back from their (start, length) in the stream. */
export class BodyReader {
  private readonly chunks;

  constructor(
    db: Db,
    readonly c: number,
    schema = '',
  ) {
    this.chunks = db.prepare<[number, number], { n: number; data: Buffer }>(`SELECT n, data FROM ${schema}body_chunks WHERE n >= ? AND n <= ? ORDER BY n`);
  }

  /** read returns the body at [at, at + len). */
  read(at: number, len: number): Uint8Array {
    if (len === 0) return new Uint8Array(0);
    const first = Math.floor(at / this.c);
    const rows = this.chunks.all(first, Math.floor((at + len - 1) / this.c));
    return sliceChunks(rows, first, this.c, at, len);
  }

  /**
   * readAll returns the bodies at these (start, length) pairs. An index range of entries written
   * by the log is contiguous in the stream: one statement then reads every chunk they span. Any
   * other spans (a body rewritten elsewhere by hand) are read one by one, never misread.
   */
  readAll(spans: readonly (readonly [at: number, len: number])[]): Uint8Array[] {
    if (spans.length === 0) return [];
    const [at0] = spans[0];
    let end = at0;
    for (const [at, len] of spans) {
      if (at !== end) return spans.map(([a, l]) => this.read(a, l));
      end = at + len;
    }
    if (end === at0) return spans.map(() => new Uint8Array(0));
    const first = Math.floor(at0 / this.c);
    const all = sliceChunks(this.chunks.all(first, Math.floor((end - 1) / this.c)), first, this.c, at0, end - at0);
    return spans.map(([at, len]) => all.subarray(at - at0, at - at0 + len));
  }
}

/** sliceChunks cuts [at, at + len) out of consecutive chunks starting at chunk `first`; a missing chunk is damage. */
export function sliceChunks(rows: readonly { n: number | null; data: Buffer | null }[], first: number, c: number, at: number, len: number): Uint8Array {
  const need = Math.floor((at + len - 1) / c) - first + 1;
  if (rows.length !== need || rows.some((r, i) => r.n !== first + i || r.data === null)) throw Object.assign(new Error(`body chunks ${first}..${first + need - 1} missing`), { code: 'SQLITE_CORRUPT' });
  const off = at - first * c;
  if (rows.length === 1) {
    const d = rows[0].data!;
    if (off + len > d.length) throw Object.assign(new Error(`body chunk ${first} too short`), { code: 'SQLITE_CORRUPT' });
    return d.subarray(off, off + len);
  }
  const out = Buffer.allocUnsafe(len);
  let o = 0;
  for (let i = 0; i < rows.length && o < len; i++) {
    const d = rows[i].data!;
    const from = i === 0 ? off : 0;
    const k = Math.min(d.length - from, len - o);
    d.copy(out, o, from, from + k);
    o += k;
  }
  if (o !== len) throw Object.assign(new Error(`body chunks ${first}.. too short`), { code: 'SQLITE_CORRUPT' });
  return out;
}
