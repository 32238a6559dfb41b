#!/bin/bash
# scratch: sample pg_stat_activity of databases like cairn_bench_% for $1 seconds at 10 Hz
N=$(( ${1:-8} * 10 ))
for i in $(seq 1 $N); do
  psql -qAt postgres://postgres@127.0.0.1:5432/postgres -c "select state||' | '||coalesce(wait_event_type,'-')||':'||coalesce(wait_event,'-')||' | '||left(regexp_replace(query,'\s+',' ','g'),60) from pg_stat_activity where datname like '${DBPAT:-cairn_bench_%}' and pid<>pg_backend_pid()"
  sleep 0.1
done | sort | uniq -c | sort -rn | head -${2:-25}
