import { auditDatabase } from '../log/index.js';
import { dataOption } from './config.js';
export const verifyDbCommand = {
    name: 'verify-db',
    summary: 'Recompute every leaf, tile and checkpoint from the stored bodies; exit 1 at the first mismatch.',
    usage: 'cairn verify-db --data DIR',
    options: [dataOption('Data directory of the log.')],
    run: async (v) => {
        const t0 = performance.now();
        const r = auditDatabase(v.data);
        if (r.problem) {
            console.error(`verify-db: FAILED at tree size ${r.size}: ${r.problem}`);
            return 1;
        }
        const secs = ((performance.now() - t0) / 1000).toFixed(1);
        console.log(`verify-db: OK: ${r.size} entries, all tiles and ${r.checkpointsChecked} checkpoints match (${secs} s)`);
        return 0;
    },
};
