import { CairnError, isCairnError } from '../errors.js';
import { VERSION } from '../version.js';
import type { Command } from './command.js';
import { backupCommand } from './backup.js';
import { helpText, parseOptions } from './config.js';
import { keygenCommand } from './keygen.js';
import { serveCommand } from './serve.js';
import { verifyDbCommand } from './verify-db.js';
import { exportCommand } from './export.js';
import { monitorCommand } from './monitor.js';
import { verifyConsistencyCommand } from './verify-consistency.js';
import { verifyInclusionCommand } from './verify-inclusion.js';
import { witnessCommand } from './witness.js';
import { trustRootCommand } from './trust-root.js';
import { signingConfigCommand } from './signing-config.js';
import { rotateCommand } from './rotate.js';
import { migrateCommand } from './migrate.js';

// Every command, one line each; a command lives in its own file named after it.
const COMMANDS: readonly Command[] = [
  serveCommand,
  verifyDbCommand,
  exportCommand,
  monitorCommand,
  verifyInclusionCommand,
  verifyConsistencyCommand,
  backupCommand,
  keygenCommand,
  witnessCommand,
  trustRootCommand,
  signingConfigCommand,
  rotateCommand,
  migrateCommand,
];

function usage(full = false): string {
  const lines = ['Usage: cairn <command> [options]', '', 'Commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(20)} ${c.summary}`);
  lines.push(`  ${'version'.padEnd(20)} Print this build's version (also: cairn --version).`);
  lines.push('', 'Run `cairn <command> --help` for its options.');
  // --help lists every option of every command, so one page answers "what can I set?".
  if (full) for (const c of COMMANDS) lines.push('', helpText(c.usage, c.options));
  return lines.join('\n');
}

/** main runs one CLI command and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage(Boolean(name)));
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(`cairn ${VERSION}`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    console.error(`cairn: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log(helpText(cmd.usage, cmd.options));
    return 0;
  }
  try {
    const { values, rest } = parseOptions(cmd.options, args, process.env);
    return await cmd.run(values, rest);
  } catch (e) {
    if (isCairnError(e)) {
      console.error(`cairn ${name}: ${e.message}`);
      return e.code === 'CONFIG' ? 2 : 1;
    }
    throw e;
  }
}

const isEntry = process.argv[1] && /(?:main\.[jt]s|cairn(?:\.js)?)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof CairnError ? e.message : e);
      process.exit(1);
    },
  );
}
