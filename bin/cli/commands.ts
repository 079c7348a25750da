// Every coop command: usage, options, examples, and where its handler lives.
import type { CommandSpec } from './spec.js';

export const COMMANDS: CommandSpec[] = [
  {
    path: ['run'],
    usage: 'run [--image X] [--network M] [-w DIR] [--] CMD...',
    describe: 'Run one command in a fresh box and remove the box afterwards (no daemon; for scripts and CI)',
    options: [
      { name: 'image', type: 'string', placeholder: 'IMAGE', describe: 'Image for this run (e.g. host, dir:./rootfs)' },
      { name: 'network', type: 'string', placeholder: 'MODE', describe: 'Network mode: host or none' },
      { name: 'workspace', alias: 'w', type: 'string', placeholder: 'DIR', describe: 'Workspace directory (default: the project of the current directory)' },
    ],
    rest: { name: 'CMD', describe: 'The command and its arguments', required: true },
    examples: [
      ['coop run -- make test', 'Run the tests in a sandbox'],
      ['coop run --network none -- npm ci', 'Install dependencies without network access'],
      ["coop run -w ~/src/api -- sh -c 'id; ls /workspace'", 'Use another workspace'],
    ],
    load: async () => (await import('../commands/run.js')).runCommand,
  },
  {
    path: ['init'],
    usage: 'init [--force]',
    describe: 'Write a commented coop.toml in the current directory',
    options: [{ name: 'force', alias: 'f', type: 'boolean', describe: 'Replace an existing coop.toml' }],
    examples: [['coop init', 'Create coop.toml here']],
    load: async () => (await import('../commands/init.js')).initCommand,
  },
];
