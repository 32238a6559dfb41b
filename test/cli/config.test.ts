import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { envName, helpText, parseOptions, type OptionSpec } from '../../src/cli/config.js';
import { main } from '../../src/cli/main.js';
import { SERVE_OPTIONS } from '../../src/cli/serve.js';
import { isCairnError } from '../../src/errors.js';
import { tempDir } from '../helpers/test-log.js';

const SPECS: OptionSpec[] = [
  { name: 'port', type: 'int', default: 3000, min: 0, max: 65535, help: 'Port.' },
  { name: 'host', type: 'string', default: '127.0.0.1', help: 'Host.' },
  { name: 'data', env: 'CAIRN_DATA_DIR', type: 'string', default: './data', help: 'Data.' },
  { name: 'key-type', type: 'enum', values: ['ed25519', 'ecdsa-p256'], default: 'ed25519', help: 'Type.' },
  { name: 'verbose', type: 'bool', default: false, help: 'Verbose.' },
  { name: 'key', type: 'string', help: 'Key.' },
];

function configFile(content: string): string {
  const p = join(tempDir(), 'cairn.json');
  writeFileSync(p, content);
  return p;
}

/** configError returns the CONFIG error message parseOptions throws. */
function configError(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseOptions(SPECS, argv, env);
  } catch (e) {
    if (isCairnError(e, 'CONFIG')) return e.message;
    throw e;
  }
  throw new Error('parseOptions accepted it');
}

describe('configuration: one schema for flags, CAIRN_* environment and --config file', () => {
  it('resolves defaults < config file < environment < flags', () => {
    expect(parseOptions(SPECS, [], {}).values).toEqual({ port: 3000, host: '127.0.0.1', data: './data', 'key-type': 'ed25519', verbose: false, key: undefined });
    const file = configFile(JSON.stringify({ port: 4000, host: '0.0.0.0', data: '/srv/file', verbose: true }));
    const env = { CAIRN_CONFIG: file, CAIRN_PORT: '5000', CAIRN_DATA_DIR: '/srv/env' };
    const { values, rest } = parseOptions(SPECS, ['--port', '6000', '--key-type=ecdsa-p256', 'extra'], env);
    expect(values).toEqual({ port: 6000, host: '0.0.0.0', data: '/srv/env', 'key-type': 'ecdsa-p256', verbose: true, key: undefined });
    expect(rest).toEqual(['extra']);
    expect(parseOptions(SPECS, ['--config', file], {}).values.port).toBe(4000);
    expect(parseOptions(SPECS, ['--verbose'], {}).values.verbose).toBe(true);
    expect(parseOptions(SPECS, ['--verbose=false'], { CAIRN_VERBOSE: 'true' }).values.verbose).toBe(false);
  });

  it('names the bad field and its source: flag', () => {
    expect(configError(['--port', '70000'])).toBe('--port: must be at most 65535 (got "70000")');
    expect(configError(['--port=-1'])).toBe('--port: must be at least 0 (got "-1")');
    expect(configError(['--port', '80x'])).toBe('--port: must be an integer (got "80x")');
    expect(configError(['--key-type', 'rsa'])).toBe('--key-type: must be one of ed25519, ecdsa-p256 (got "rsa")');
    expect(configError(['--verbose=maybe'])).toBe('--verbose: must be true or false (got "maybe")');
    expect(configError(['--host='])).toBe('--host: must be a non-empty string (got "")');
  });

  it('names the bad field and its source: environment', () => {
    expect(configError([], { CAIRN_PORT: 'eighty' })).toBe('environment variable CAIRN_PORT: must be an integer (got "eighty")');
    expect(configError([], { CAIRN_DATA_DIR: '' })).toBe('environment variable CAIRN_DATA_DIR: must be a non-empty string (got "")');
    expect(configError([], { CAIRN_KEY_TYPE: 'ED25519' })).toMatch(/^environment variable CAIRN_KEY_TYPE: must be one of/);
  });

  it('names the bad field and its source: config file (with its path)', () => {
    const f = configFile(JSON.stringify({ port: 1.5 }));
    expect(configError(['--config', f])).toBe(`config file ${f} field "port": must be an integer (got 1.5)`);
    const g = configFile(JSON.stringify({ verbose: 'yes' }));
    expect(configError([], { CAIRN_CONFIG: g })).toBe(`config file ${g} field "verbose": must be true or false (got "yes")`);
    const h = configFile(JSON.stringify({ host: 7 }));
    expect(configError(['--config', h])).toBe(`config file ${h} field "host": must be a non-empty string (got 7)`);
  });

  it('rejects unknown keys in the config file, and files that are not a JSON object', () => {
    const f = configFile(JSON.stringify({ port: 80, prot: 81 }));
    expect(configError(['--config', f])).toBe(`config file ${f}: unknown field "prot" (fields are the option names in --help)`);
    const bad = configFile('{ "port": 80, }');
    expect(configError(['--config', bad])).toMatch(new RegExp(`^config file ${bad}: .*JSON`));
    const arr = configFile('[1, 2]');
    expect(configError(['--config', arr])).toBe(`config file ${arr}: must hold a JSON object`);
    expect(configError(['--config', '/nonexistent/cairn.json'])).toMatch(/^config file \/nonexistent\/cairn.json: ENOENT/);
  });

  it('rejects unknown flags, short flags and flags missing their value', () => {
    expect(configError(['--prot', '80'])).toBe('unknown option --prot (see --help)');
    expect(configError(['-p', '80'])).toBe('unknown option -p: options are long flags such as --port (see --help)');
    expect(configError(['--port'])).toBe('option --port needs a value');
    expect(configError(['--key', '--port', '80'])).toBe('option --key needs a value');
  });

  it('exits 2 with the message on stderr for a configuration error', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await main(['verify-db', '--data'])).toBe(2);
    expect(err).toHaveBeenCalledWith('cairn verify-db: option --data needs a value');
    expect(await main(['serve', '--port', 'x'])).toBe(2);
    expect(err).toHaveBeenCalledWith('cairn serve: --port: must be an integer (got "x")');
    expect(await main(['serve', '--headers-timeout', '90', '--request-timeout', '60', '--data', tempDir()])).toBe(2);
    expect(err).toHaveBeenLastCalledWith('cairn serve: --headers-timeout (90) must not exceed --request-timeout (60)');
  });
});

describe('--help', () => {
  afterEach(() => vi.restoreAllMocks());

  it('cairn serve --help lists every option with its environment variable and default', async () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['serve', '--help'])).toBe(0);
    const text = out.mock.calls.map((c) => c.join(' ')).join('\n');
    expect(text).toBe(helpText('cairn serve [options]', SERVE_OPTIONS));
    for (const s of SERVE_OPTIONS) {
      expect(text).toContain(`--${s.name}`);
      expect(text).toContain(`(${envName(s)})`);
      if (s.default !== undefined) expect(text).toContain(`Default: ${s.default}.`);
    }
    for (const o of ['--max-body', '--rate-limit', '--rate-burst', '--request-timeout', '--headers-timeout', '--keep-alive-timeout', '--shutdown-timeout', '--log-level', '--stall-seconds']) {
      expect(text).toContain(o);
    }
    expect(text).toContain('--config FILE   (CAIRN_CONFIG)');
  });

  it('cairn --help lists every command and every option of each', async () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['--help'])).toBe(0);
    const text = out.mock.calls.map((c) => c.join(' ')).join('\n');
    for (const cmd of ['serve', 'verify-db', 'backup', 'keygen']) expect(text).toMatch(new RegExp(`^  ${cmd} `, 'm'));
    for (const s of SERVE_OPTIONS) expect(text).toContain(`--${s.name}`);
    expect(text).toContain('--out VALUE   (CAIRN_KEYGEN_OUT)');
    expect(text).toContain('--to VALUE   (CAIRN_BACKUP_TO)');
  });
});
