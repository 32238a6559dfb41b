#!/bin/bash
# scratch A/B: ROUNDS x trees, pg-nodes CONFIGS per tree
cd /work/wt-pgbench
for r in $(seq 1 ${ROUNDS:-2}); do
  for t in ${TREES:-base n head}; do
    case $t in base) d=/work/wt-pgbench-base;; n) d=/work/wt-pgbench-n;; c) d=/work/wt-pgbench-c;; head) d=/work/wt-pgbench;; *) d=$t;; esac
    echo "== round $r tree $t load $(cut -d' ' -f1 /proc/loadavg)"
    SERVER_ROOT=$d CONFIGS=${CONFIGS:-pg1} RUNS=1 DURATION=${DURATION:-8} ENTRIES=200000 npx tsx bench/pg-nodes.ts 2>&1 | grep -E '^  run|Error'
  done
done
