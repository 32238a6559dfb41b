import { readFileSync } from 'node:fs';
import { CairnError } from '../errors.js';

/** OptionSpec describes one setting: its flag, environment variable, type, default and help. */
export interface OptionSpec {
  /** Flag name without dashes, also the config-file key. */
  name: string;
  type: 'string' | 'int' | 'bool' | 'enum';
  values?: readonly string[];
  default?: string | number | boolean;
  help: string;
  min?: number;
  max?: number;
  /** Environment variable, when it is not CAIRN_<NAME>. */
  env?: string;
  /** A repeatable string flag: its values (and a config-file array) are joined with commas. */
  repeatable?: boolean;
}

export type Values = Record<string, string | number | boolean | undefined>;

/** dataOption is the --data setting every command on a log's data directory shares. */
export function dataOption(help: string): OptionSpec {
  return { name: 'data', env: 'CAIRN_DATA_DIR', type: 'string', default: './data', help };
}

/**
 * envPrefixed returns specs whose environment variables are PREFIX_<NAME> unless they name their
 * own: a client or a witness keeps to its own prefix so it can share one environment with a log.
 */
export function envPrefixed(prefix: string, specs: readonly OptionSpec[]): OptionSpec[] {
  return specs.map((s) => ({ ...s, env: s.env ?? `${prefix}_${envSuffix(s.name)}` }));
}

/** LOG_KEY_OPTION is how the client commands take the log's verification key; its environment variable comes from the command's prefix (CAIRN_VERIFY_KEY, CAIRN_MONITOR_KEY). */
export const LOG_KEY_OPTION: OptionSpec = {
  name: 'key',
  type: 'string',
  help: "The log's note verifier key, or a file holding it or the log's SPKI PEM public key.",
};

/**
 * verifyOptions returns a verify command's settings, all read from CAIRN_VERIFY_*: --key, then its
 * own, then --url and --api to fetch the proof instead of reading a file (rekorPath is the
 * Rekor endpoint asked with --api rekor).
 */
export function verifyOptions(rekorPath: string, own: readonly OptionSpec[]): OptionSpec[] {
  return envPrefixed('CAIRN_VERIFY', [
    LOG_KEY_OPTION,
    ...own,
    { name: 'url', type: 'string', help: 'Log URL (or export directory) to fetch the proof from instead of --proof.' },
    { name: 'api', type: 'enum', values: ['tiles', 'rekor'], default: 'tiles', help: `With --url: compute the proof from tiles, or ask Rekor's ${rekorPath}.` },
  ]);
}

/** envName returns the environment variable of an option: --public-url → CAIRN_PUBLIC_URL unless it names its own. */
export function envName(s: Pick<OptionSpec, 'name' | 'env'>): string {
  return s.env ?? `CAIRN_${envSuffix(s.name)}`;
}

function envSuffix(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

/**
 * parseOptions resolves settings from, in increasing priority: defaults, a JSON config file
 * (--config or CAIRN_CONFIG), CAIRN_* environment variables, then flags. One schema validates all
 * three sources; an error names the bad field and where it came from.
 */
export function parseOptions(specs: readonly OptionSpec[], argv: readonly string[], env: NodeJS.ProcessEnv): { values: Values; rest: string[] } {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (/^-[^-]/.test(a)) throw new CairnError('CONFIG', `unknown option ${a}: options are long flags such as --port (see --help)`);
    if (!a.startsWith('--')) {
      rest.push(a);
      continue;
    }
    let [name, value] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const spec = byName.get(name) ?? (name === 'config' ? { name, type: 'string' as const, help: '' } : undefined);
    if (!spec) throw new CairnError('CONFIG', `unknown option --${name} (see --help)`);
    if (value === undefined) {
      if (spec.type === 'bool') value = 'true';
      // A following flag is not a value: `--key --port 80` is a forgotten value, not a key named "--port".
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
      else throw new CairnError('CONFIG', `option --${name} needs a value`);
    }
    flags[name] = spec.repeatable && name in flags ? `${flags[name]},${value}` : value;
  }

  const file: Record<string, unknown> = {};
  const configPath = flags.config ?? env.CAIRN_CONFIG;
  if (configPath) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (e) {
      throw new CairnError('CONFIG', `config file ${configPath}: ${(e as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CairnError('CONFIG', `config file ${configPath}: must hold a JSON object`);
    }
    for (const [k, v] of Object.entries(parsed)) {
      if (!byName.has(k)) throw new CairnError('CONFIG', `config file ${configPath}: unknown field "${k}" (fields are the option names in --help)`);
      file[k] = v;
    }
  }

  const values: Values = {};
  for (const s of specs) {
    let raw: unknown = s.default;
    let from = 'default';
    if (s.name in file) [raw, from] = [file[s.name], `config file ${configPath} field "${s.name}"`];
    if (env[envName(s)] !== undefined) [raw, from] = [env[envName(s)], `environment variable ${envName(s)}`];
    if (s.name in flags) [raw, from] = [flags[s.name], `--${s.name}`];
    values[s.name] = raw === undefined ? undefined : coerce(s, raw, from);
  }
  return { values, rest };
}

function coerce(s: OptionSpec, raw: unknown, from: string): string | number | boolean {
  const bad = (why: string) => new CairnError('CONFIG', `${from}: ${why} (got ${JSON.stringify(raw)})`);
  switch (s.type) {
    case 'string':
      if (s.repeatable && Array.isArray(raw) && raw.length > 0 && raw.every((x) => typeof x === 'string')) return raw.join(',');
      if (typeof raw !== 'string' || raw === '') throw bad('must be a non-empty string');
      return raw;
    case 'enum':
      if (typeof raw !== 'string' || !s.values!.includes(raw)) throw bad(`must be one of ${s.values!.join(', ')}`);
      return raw;
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw bad('must be true or false');
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) throw bad('must be an integer');
      if (s.min !== undefined && n < s.min) throw bad(`must be at least ${s.min}`);
      if (s.max !== undefined && n > s.max) throw bad(`must be at most ${s.max}`);
      return n;
    }
  }
}

/** helpText renders a command's usage (its forms one a line, the later ones indented) and its options with their environment variables and defaults. */
export function helpText(usage: string | readonly string[], specs: readonly OptionSpec[]): string {
  const lines = [typeof usage === 'string' ? usage : usage.join('\n       '), '', 'Options (flag, environment variable, config-file key):'];
  for (const s of specs) {
    const kind = s.type === 'enum' ? s.values!.join('|') : s.type === 'bool' ? '' : s.type === 'int' ? 'N' : 'VALUE';
    lines.push(`  --${s.name}${kind ? ' ' + kind : ''}   (${envName(s)})`);
    lines.push(`      ${s.help}${s.default !== undefined ? ` Default: ${s.default}.` : ''}`);
  }
  lines.push('  --config FILE   (CAIRN_CONFIG)', '      JSON file whose keys are the option names above.');
  return lines.join('\n');
}
