import pg from 'pg';
const c = new pg.Client('postgres://postgres@127.0.0.1:5432/postgres'); await c.connect();
await c.query('CREATE TEMP TABLE t (x int)');
for (const [name, q] of [['select 1', 'SELECT 1'], ['commit (fsync)', 'INSERT INTO t VALUES (1)']] as const) {
  const xs: number[] = [];
  for (let i = 0; i < 100; i++) { const t = performance.now(); await c.query(q); xs.push(performance.now() - t); }
  xs.sort((a, b) => a - b);
  console.log(name, 'p50', xs[50].toFixed(2), 'ms p90', xs[90].toFixed(2), 'ms');
}
await c.query('CREATE TABLE IF NOT EXISTS scratch_rt (x int)');
const xs: number[] = [];
for (let i = 0; i < 50; i++) { const t = performance.now(); await c.query('INSERT INTO scratch_rt VALUES (1)'); xs.push(performance.now() - t); }
xs.sort((a, b) => a - b); console.log('durable insert p50', xs[25].toFixed(2), 'ms p90', xs[45].toFixed(2));
await c.query('DROP TABLE scratch_rt'); await c.end();
