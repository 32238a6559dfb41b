import type { OptionSpec, Values } from './config.js';

/** Command is one `cairn <name>` subcommand: its help, options, and what it runs. */
export interface Command {
  name: string;
  summary: string;
  /** How it is called: one line, or one line per form of the command. */
  usage: string | readonly string[];
  options: readonly OptionSpec[];
  /** Runs the command with validated option values and positional arguments; resolves to the exit code. */
  run: (values: Values, rest: string[]) => Promise<number>;
}
