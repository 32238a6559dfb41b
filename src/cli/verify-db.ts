import { auditDatabase } from '../log/index.js';
import type { Command } from './command.js';
import { dataOption } from './config.js';
import { Progress } from './progress.js';

export const verifyDbCommand: Command = {
  name: 'verify-db',
  summary: 'Recompute every leaf, tile and checkpoint from the stored bodies; exit 1 at the first mismatch.',
  usage: 'cairn verify-db --data DIR',
  options: [dataOption('Data directory of the log.')],
  run: async (v) => {
    const t0 = performance.now();
    const progress = new Progress('verify-db', 'entries');
    const r = auditDatabase(v.data as string, (done, total) => progress.update(done, total));
    progress.end();
    if (r.problem) {
      console.error(`verify-db: FAILED at tree size ${r.size}: ${r.problem}`);
      return 1;
    }
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`verify-db: OK: ${r.size} entries, all tiles and ${r.checkpointsChecked} checkpoints match (${secs} s)`);
    return 0;
  },
};
