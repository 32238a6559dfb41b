import { Log } from '../../src/log/index.js';
import { entryBody } from '../lib.js';
const log = Log.open({ dataDir: process.argv[2], origin: 'bench.cairn.example/log', heartbeatMs: 0 });
await Promise.all(Array.from({ length: 700 }, (_, i) => log.append({ body: entryBody(i), kind: 'hashedrekord/0.0.1', indexKeys: [] })));
console.log(log.size); await log.close();
