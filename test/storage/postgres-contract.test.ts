/** The storage contract suite (contract.ts), unchanged, against the PostgreSQL driver: one schema per log, one database per file. */
import { join } from 'node:path';
import { describe, it } from 'vitest';
import pg from 'pg';
import { PostgresStorage, openPostgresSnapshot, restorePostgres, type LogStorage } from '../../src/storage/index.js';
import { testDatabase, testSchema } from '../helpers/postgres.js';
import { tempDir } from '../helpers/test-log.js';
import { storageContract } from './contract.js';

const url = await testDatabase();
const postgres = (s: LogStorage) => s as PostgresStorage;
const place = (schema: string) => ({ url: url!, schema });

/** freeze makes the log's head refuse updates (a NOT VALID check still holds for new rows): every write fails, as on a read-only database. */
async function freeze(schema: string, on: boolean): Promise<void> {
  const c = new pg.Client(url);
  await c.connect();
  await c.query(on ? `ALTER TABLE ${schema}.head ADD CONSTRAINT frozen CHECK (false) NOT VALID` : `ALTER TABLE ${schema}.head DROP CONSTRAINT frozen`);
  await c.end();
}
const schemaOf = new WeakMap<LogStorage, string>();

if (!url) describe.skip('storage contract: PostgreSQL (no server)', () => it('skipped', () => {}));
else
  storageContract('PostgreSQL', {
    place: () => testSchema(),
    open: async (schema) => {
      const s = await PostgresStorage.open({ ...place(schema), lead: 1500 });
      schemaOf.set(s, schema);
      return s;
    },
    // A killed process: its connections drop unclosed; the server frees the lead.
    crash: async (s) => postgres(s).abandon(),
    breakWrites: async (s) => freeze(schemaOf.get(s)!, true),
    fixWrites: async (s) => freeze(schemaOf.get(s)!, false),
    snapshot: async (schema) => openPostgresSnapshot(place(schema)),
    restore: async (file) => {
      const schema = testSchema();
      await restorePostgres(file, place(schema));
      return schema;
    },
    backupPath: () => join(tempDir(), 'backup.json'),
  });
