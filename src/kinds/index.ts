export type { Admitted, EntryKind, ProposedEntry } from './kind.js';
