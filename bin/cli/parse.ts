// The fast argument parser: argv + the command table -> command and arguments.
// (yargs, loaded only for help, renders the same table.)
import { suggest } from '../../lib/config/errors.js';
import { GLOBAL_OPTIONS, type Args, type CommandSpec, type OptionSpec } from './spec.js';

/** Bad command-line usage: exit code 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: CommandSpec | null,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Parsed {
  /** The command named by the words, or the default command; null when there is none. */
  command: CommandSpec | null;
  /** Words that name a group of subcommands without choosing one (e.g. `coop system`). */
  partial: string[];
  args: Args;
}

const samePath = (a: string[], b: string[]) => a.length === b.length && a.every((w, i) => w === b[i]);
const startsWith = (path: string[], prefix: string[]) => prefix.every((w, i) => path[i] === w);

function findOption(specs: OptionSpec[], token: string): OptionSpec | undefined {
  if (token.startsWith('--')) return specs.find((o) => o.name === token.slice(2));
  return specs.find((o) => o.alias === token.slice(1));
}

export function parseArgv(argv: string[], commands: CommandSpec[]): Parsed {
  let command = commands.find((c) => c.path.length === 0) ?? null;
  let path: string[] = [];
  let matching = true;
  const args: Args = { opts: {}, positionals: [], rest: [] };
  const specs = () => [...GLOBAL_OPTIONS, ...(command?.options ?? [])];

  const setOption = (spec: OptionSpec, raw: string | undefined, shown: string): void => {
    if (spec.type === 'boolean') {
      if (raw !== undefined) throw new UsageError(`option ${shown} takes no value`, command);
      args.opts[spec.name] = true;
      return;
    }
    if (raw === undefined) throw new UsageError(`option ${shown} needs a value`, command);
    if (spec.type === 'number') {
      const n = Number(raw);
      if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new UsageError(`option ${shown} needs a whole number, got "${raw}"`, command);
      args.opts[spec.name] = n;
    } else if (spec.repeatable) {
      const prev = args.opts[spec.name];
      args.opts[spec.name] = [...(Array.isArray(prev) ? prev : []), raw];
    } else args.opts[spec.name] = raw;
  };

  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === '--') {
      if (!command?.rest) throw new UsageError(`"--" is only for commands that run a command`, command);
      args.rest = argv.slice(i + 1);
      break;
    }
    if (tok.startsWith('-') && tok !== '-') {
      const eq = tok.startsWith('--') ? tok.indexOf('=') : -1;
      const name = eq > 0 ? tok.slice(0, eq) : tok;
      const inline = eq > 0 ? tok.slice(eq + 1) : undefined;
      let spec = findOption(specs(), name);
      if (!spec && name.startsWith('--no-')) {
        const negated = specs().find((o) => o.name === name.slice(5) && o.type === 'boolean');
        if (negated) {
          args.opts[negated.name] = false;
          continue;
        }
      }
      if (!spec && !name.startsWith('--') && name.length > 2) {
        // A cluster of short boolean flags: -df
        const flags = [...name.slice(1)].map((c) => findOption(specs(), `-${c}`));
        if (flags.every((f) => f?.type === 'boolean')) {
          for (const f of flags) args.opts[f!.name] = true;
          continue;
        }
        spec = findOption(specs(), name.slice(0, 2));
        if (spec && spec.type !== 'boolean') {
          setOption(spec, name.slice(2), name.slice(0, 2));
          continue;
        }
        spec = undefined;
      }
      if (!spec) {
        const names = specs().map((o) => `--${o.name}`);
        const hint = name.startsWith('--') ? suggest(name, names) : null;
        throw new UsageError(`unknown option ${name}${hint ? ` (did you mean ${hint}?)` : ''}`, command);
      }
      const value = spec.type === 'boolean' || inline !== undefined ? inline : argv[++i];
      setOption(spec, value, name);
      continue;
    }
    if (matching) {
      const candidate = [...path, tok];
      if (commands.some((c) => startsWith(c.path, candidate) && c.path.length >= candidate.length)) {
        path = candidate;
        const exact = commands.find((c) => samePath(c.path, path));
        command = exact ?? null;
        continue;
      }
      matching = false;
      if (path.length > 0 && !command) {
        throw new UsageError(`unknown command "coop ${[...path, tok].join(' ')}"`, null);
      }
      if (path.length === 0 && !command?.positionals?.length && !command?.rest) {
        const hint = suggest(tok, commands.map((c) => c.path.join(' ')).filter(Boolean));
        throw new UsageError(`unknown command "${tok}"${hint ? ` (did you mean "coop ${hint}"?)` : ''}`, null);
      }
    }
    if (command?.rest && args.positionals.length >= (command.positionals?.length ?? 0)) {
      args.rest = argv.slice(i);
      break;
    }
    if (args.positionals.length >= (command?.positionals?.length ?? 0)) {
      throw new UsageError(`unexpected argument "${tok}"`, command);
    }
    args.positionals.push(tok);
  }
  const partial = command ? [] : path;
  if (command && !args.opts.help) {
    const missing = command.positionals?.find((p, i) => !p.optional && args.positionals[i] === undefined);
    if (missing) throw new UsageError(`missing ${missing.name}`, command);
    if (command.rest?.required && args.rest.length === 0) throw new UsageError(`missing ${command.rest.name} (put it after --)`, command);
  }
  return { command, partial, args };
}
