#!/bin/bash
# scratch: one pg node at debug, 5 s of uploads, batch lines summarised
set -e
cd ${TREE:-/work/wt-pgbench}
DB=postgres://postgres@127.0.0.1:5432/postgres
S=scratch_one_$$
K=/tmp/pgbench-key.pem; [ -f $K ] || npx tsx src/cli/main.ts keygen --out $K >/dev/null
node --max-semi-space-size=64 --import tsx src/cli/main.ts serve --database "$DB?schema=$S" --key $K --origin bench.cairn.example/log --no-tsa --port 18090 --log-level debug --heartbeat 0 ${EXTRA} > /tmp/pgbench-one.log 2>&1 &
P=$!
for i in $(seq 1 100); do curl -sf http://127.0.0.1:18090/api/v1/log >/dev/null && break; sleep 0.2; done
node --import tsx /work/wt-pgbench/bench/http-load.ts load http://127.0.0.1:18090 post 0 ${SECS:-5} /work/wt-pgbench/bench/out/http-entries-20000.ndjson; echo
kill -TERM $P; wait $P || true
psql -q $DB -c "DROP SCHEMA $S CASCADE"
grep -c 'batch committed' /tmp/pgbench-one.log
