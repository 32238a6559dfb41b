import { existsSync, readFileSync } from 'node:fs';
import { writeFileDurably } from '../durable-file.js';
import { MonitorAlarm, RekorClient, monitorStep, openFetcher, readLogKey, type MonitorSource, type MonitorState } from '../client/index.js';
import { CairnError } from '../errors.js';
import type { Command } from './command.js';
import { LOG_KEY_OPTION, envPrefixed } from './config.js';

/** Exit codes: 0 all checks passed; 1 the log misbehaved (alarm); 3 the log could not be checked (--once). */
export const EXIT_ALARM = 1;
export const EXIT_UNCHECKED = 3;

function readState(path: string): MonitorState | undefined {
  if (!existsSync(path)) return undefined;
  let s: MonitorState;
  try {
    s = JSON.parse(readFileSync(path, 'utf8')) as MonitorState;
  } catch (e) {
    throw new CairnError('CONFIG', `state file ${path}: ${(e as Error).message}`);
  }
  const ok =
    typeof s === 'object' && s !== null && typeof s.origin === 'string' && Number.isSafeInteger(s.size) && s.size >= 0 &&
    typeof s.rootHash === 'string' && Buffer.from(s.rootHash, 'base64').length === 32 && typeof s.note === 'string' &&
    (s.entriesChecked === undefined || (Number.isSafeInteger(s.entriesChecked) && s.entriesChecked >= 0));
  if (!ok) throw new CairnError('CONFIG', `state file ${path} is not a monitor state`);
  return s;
}

/** writeState replaces the state file atomically: a crash leaves the old or the new state. */
function writeState(path: string, s: MonitorState): void {
  writeFileDurably(path, JSON.stringify(s, null, 2) + '\n');
}

export const monitorCommand: Command = {
  name: 'monitor',
  summary: 'Watch a log: verify each new checkpoint, its consistency with the last trusted one, and optionally every entry.',
  usage: 'cairn monitor --url URL --key VKEY|FILE [--state FILE] [--check-entries] [--once] [--interval S] [--api tiles|rekor]',
  options: envPrefixed('CAIRN_MONITOR', [
    { name: 'url', type: 'string', help: 'Log prefix URL (or a directory holding a `cairn export`).' },
    LOG_KEY_OPTION,
    { name: 'state', type: 'string', help: 'File keeping the last trusted checkpoint between runs. Without it, each run starts from scratch.' },
    { name: 'origin', type: 'string', help: 'Required checkpoint origin. Default: the one in the state file, else the first seen.' },
    { name: 'check-entries', type: 'bool', default: false, help: 'Fetch every new entry bundle and check each entry hashes to its leaf (tiles API only).' },
    { name: 'once', type: 'bool', default: false, help: 'Check once and exit: 0 OK, 1 the log misbehaved, 3 it could not be checked.' },
    { name: 'interval', type: 'int', default: 60, min: 1, help: 'Seconds between checks.' },
    { name: 'api', type: 'enum', values: ['tiles', 'rekor'], default: 'tiles', help: 'Read the log through its tlog-tiles API or Rekor\'s /api/v1/log.' },
  ]),
  run: async (v) => {
    if (v.url === undefined || v.key === undefined) throw new CairnError('CONFIG', 'monitor needs --url and --key');
    const url = v.url as string;
    const key = readLogKey(v.key as string);
    const statePath = v.state as string | undefined;
    const source: MonitorSource = v.api === 'rekor' ? { api: 'rekor', rekor: new RekorClient(url) } : { api: 'tiles', fetcher: openFetcher(url) };
    let trusted = statePath ? readState(statePath) : undefined;
    for (;;) {
      try {
        const r = await monitorStep(source, key, trusted, { checkEntries: v['check-entries'] as boolean, origin: v.origin as string | undefined });
        trusted = r.state;
        if (statePath) writeState(statePath, r.state);
        const extra = v['check-entries'] ? `, ${r.entriesChecked} entries re-derived` : '';
        console.log(`monitor: OK: ${r.state.origin} at size ${r.state.size} (+${r.grew}; ${r.tilesFetched} tiles/bundles fetched${extra})`);
      } catch (e) {
        if (e instanceof MonitorAlarm) {
          console.error(`monitor: ALARM (${e.kind}): ${e.message}`);
          if (e.evidence.trusted) console.error(`monitor: trusted checkpoint:\n${e.evidence.trusted}`);
          if (e.evidence.received) console.error(`monitor: received checkpoint:\n${e.evidence.received}`);
          return EXIT_ALARM;
        }
        if (!(e instanceof CairnError) || e.code === 'CONFIG') throw e;
        console.error(`monitor: could not check the log: ${e.message}`);
        if (v.once) return EXIT_UNCHECKED;
      }
      if (v.once) return 0;
      await new Promise((r) => setTimeout(r, (v.interval as number) * 1000));
    }
  },
};
