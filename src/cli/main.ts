import { CairnError, isCairnError } from '../errors.js';
import { auditDatabase } from '../log/index.js';
import { helpText, parseOptions, type OptionSpec } from './config.js';
import { SERVE_OPTIONS, serve } from './serve.js';

interface Command {
  summary: string;
  usage: string;
  options: readonly OptionSpec[];
  run: (values: Record<string, unknown>, rest: string[]) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'Run the log server.',
    usage: 'cairn serve [options]',
    options: SERVE_OPTIONS,
    run: async (v) => {
      const running = await serve(v as never);
      const shutdown = (sig: string) => {
        console.log(`cairn: ${sig}: finishing queued entries and closing`);
        running.stop().then(
          () => process.exit(0),
          (e) => {
            console.error(`cairn: shutdown failed: ${(e as Error).message}`);
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
      return new Promise<number>(() => {});
    },
  },
  'verify-db': {
    summary: 'Recompute every leaf, tile and checkpoint from the stored bodies; exit 1 at the first mismatch.',
    usage: 'cairn verify-db --data DIR',
    options: [{ name: 'data', env: 'CAIRN_DATA_DIR', type: 'string', default: './data', help: 'Data directory of the log.' }],
    run: async (v) => {
      const t0 = performance.now();
      const r = auditDatabase(v.data as string);
      if (r.problem) {
        console.error(`verify-db: FAILED at tree size ${r.size}: ${r.problem}`);
        return 1;
      }
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      console.log(`verify-db: OK: ${r.size} entries, all tiles and ${r.checkpointsChecked} checkpoints match (${secs} s)`);
      return 0;
    },
  },
};

function usage(): string {
  const lines = ['Usage: cairn <command> [options]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(18)} ${c.summary}`);
  lines.push('', 'Run `cairn <command> --help` for its options.');
  return lines.join('\n');
}

/** main runs one CLI command and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
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
