// The command table's types. One table (commands.ts) drives the fast parser on every
// call and, lazily, yargs for `--help` output — so there is one definition of the CLI.

export interface OptionSpec {
  name: string;
  alias?: string;
  type: 'boolean' | 'string' | 'number';
  describe: string;
  /** Shown in help for string/number options, e.g. DIR. */
  placeholder?: string;
  /** A string option given any number of times: its values as an array. */
  repeatable?: boolean;
}

export interface PositionalSpec {
  name: string;
  describe: string;
  optional?: boolean;
}

/** Parsed arguments handed to a command. */
export interface Args {
  /** Options by long name (absent when not given). */
  opts: Record<string, string | string[] | number | boolean | undefined>;
  positionals: string[];
  /** Words after the command's positionals or after `--` (commands with `rest`). */
  rest: string[];
}

export interface CliContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Colours on: a TTY and no NO_COLOR. */
  color: boolean;
  verbose: boolean;
  quiet: boolean;
}

/** Runs a command; resolves with the process exit code. */
export type Handler = (args: Args, ctx: CliContext) => Promise<number>;

export interface CommandSpec {
  /** Words naming the command: [] for the default command, ['system', 'df'] for a subcommand. */
  path: string[];
  /** Usage line after "coop", e.g. "run [options] [--] CMD...". */
  usage: string;
  describe: string;
  options: OptionSpec[];
  positionals?: PositionalSpec[];
  /** Takes the remaining words verbatim (everything from the first positional or after --). */
  rest?: { name: string; describe: string; required?: boolean };
  examples: [string, string][];
  /** Loaded only when the command runs. */
  load: () => Promise<Handler>;
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: OptionSpec[] = [
  { name: 'config', type: 'string', placeholder: 'PATH', describe: 'Project configuration file instead of <workspace>/coop.toml' },
  { name: 'socket', type: 'string', placeholder: 'PATH', describe: 'Daemon socket (default $COOP_HOME/sock)' },
  { name: 'verbose', alias: 'v', type: 'boolean', describe: 'More detail, and stack traces on errors' },
  { name: 'quiet', alias: 'q', type: 'boolean', describe: 'Only errors' },
  { name: 'version', type: 'boolean', describe: 'Print the version' },
  { name: 'help', alias: 'h', type: 'boolean', describe: 'Show help' },
];
