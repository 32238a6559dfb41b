/** The page's one state: the trusted key, the checkpoints it verified, and where the active tree starts. */
import { api } from './api.js';
import { importLogKey, type LogKey } from './keys.js';
import { parseCheckpoint, parseNote, verifyLogSignature, type Checkpoint } from './note.js';

const PIN_KEY = `cairn.pinnedKey:${location.host}${location.pathname}`;

interface State {
  servedPem?: string;
  pinnedPem?: string;
  key?: LogKey;
  keyError?: string;
  vkey?: string;
  /** The first checkpoint this page load verified: later ones must be consistent with it. */
  first?: Checkpoint;
  latest?: Checkpoint;
  latestNote?: string;
  /** Entries in the frozen shards before the active tree (after a rotation; 0 before). */
  offset: number;
  checkpointError?: string;
  /** When this page first saw the latest tree size (checkpoints carry no time of their own). */
  latestSeenAt?: number;
  lastFile?: { name: string; size: number; hex: string };
}

export const state: State = { offset: 0 };

/** entryCount is the number of entries in the whole log: its indexes run 0 .. entryCount - 1 through every shard. */
export const entryCount = (): number => state.offset + (state.latest?.size ?? 0);

function pinned(): string | undefined {
  try {
    return localStorage.getItem(PIN_KEY) ?? undefined;
  } catch {
    return undefined; // storage disabled: no pinning
  }
}

/** loadKey sets the trusted key: the pinned one if the user pinned one, else the one the log serves. */
export async function loadKey(): Promise<void> {
  state.pinnedPem = pinned();
  try {
    state.servedPem = await api.publicKey();
    state.key = await importLogKey(state.pinnedPem ?? state.servedPem);
    state.keyError = undefined;
  } catch (e) {
    state.keyError = (e as Error).message;
  }
}

/** refreshCheckpoint reads the active tree's checkpoint and keeps it if the trusted key signed it. */
export async function refreshCheckpoint(fetched?: Promise<{ note: string; offset: number }>): Promise<boolean> {
  try {
    const { note: text, offset } = await (fetched ?? api.activeTree());
    const note = parseNote(text);
    if (typeof note === 'string') throw new Error(note);
    const cp = parseCheckpoint(note.text);
    if (typeof cp === 'string') throw new Error(cp);
    if (!state.key) throw new Error('no trusted log key');
    const why = await verifyLogSignature(note, cp.origin, state.key);
    if (why) throw new Error(`checkpoint signature: ${why}`);
    // A rotation starts a new tree: its checkpoints are not consistent with the old tree's.
    if (offset !== state.offset) state.first = undefined;
    const grew = state.latest?.size !== cp.size || offset !== state.offset;
    state.offset = offset;
    if (grew) state.latestSeenAt = Date.now();
    state.first ??= cp;
    state.latest = cp;
    state.latestNote = text;
    state.checkpointError = undefined;
    return grew;
  } catch (e) {
    state.checkpointError = (e as Error).message;
    return true;
  }
}

/** savePin keeps (or, without a key, forgets) the pinned key in this browser; false when storage is disabled. */
export function savePin(pem: string | undefined): boolean {
  try {
    if (pem) localStorage.setItem(PIN_KEY, pem);
    else localStorage.removeItem(PIN_KEY);
    return true;
  } catch {
    return false;
  }
}
