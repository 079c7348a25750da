// `--help`: rendered by yargs from the command table, loaded only when asked for.
import type { CommandSpec } from './spec.js';
import { GLOBAL_OPTIONS } from './spec.js';

export async function renderHelp(commands: CommandSpec[], command: CommandSpec | null, partial: string[] = []): Promise<string> {
  const { default: yargs } = await import('yargs');
  const width = Math.min(100, process.stdout.columns || 80);
  const y = yargs([]).scriptName('coop').version(false).help(false).wrap(width).strict(false);
  if (command) {
    y.usage(`coop ${command.usage}\n\n${command.describe}`);
    for (const p of command.positionals ?? []) y.positional(p.name, { describe: p.describe, type: 'string' });
    for (const o of command.options) y.option(o.name, { alias: o.alias, type: o.repeatable ? 'array' : o.type, describe: o.describe, group: 'Options:' });
    for (const [cmd, what] of command.examples) y.example(cmd, what);
  } else {
    const prefix = partial.join(' ');
    y.usage(prefix ? `coop ${prefix} <command> [options]` : 'coop [command] [options]');
    for (const c of commands) {
      if (c.path.length === 0 || !c.path.join(' ').startsWith(prefix)) continue;
      y.command(c.path.join(' '), c.describe);
    }
    y.epilogue('Run `coop <command> --help` for the options of a command.');
  }
  for (const o of GLOBAL_OPTIONS) y.option(o.name, { alias: o.alias, type: o.type, describe: o.describe, group: 'Global options:' });
  return y.getHelp();
}
