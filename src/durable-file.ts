import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * writeFileDurably replaces path with data through a temporary file, fsync and rename, so a reader
 * or a crash sees the old file or the new one, never a part. With syncDir the directory is fsync'd
 * too, so the rename itself survives a power cut (a commit point: shards.json); without it the
 * rename may be lost but never half-done (export tiles, monitor state). A failed write removes the
 * temporary file and throws.
 */
export function writeFileDurably(path: string, data: Uint8Array | string, opts: { mode?: number; syncDir?: boolean } = {}): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(tmp, 'w', opts.mode ?? 0o644);
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  if (opts.syncDir) syncDirectory(dirname(path));
}

/** syncDirectory fsyncs a directory, making the renames and creations inside it durable. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
