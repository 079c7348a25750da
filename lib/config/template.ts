// `coop init`: a commented coop.toml documenting every key, with the defaults.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoopError } from '../errors.js';

export const TEMPLATE = `# coop.toml — the sandbox for this project's agent. Every key is optional except
# an agent somewhere (here or in ~/.config/coop/default.toml). Layers, later wins:
# built-in defaults < ~/.config/coop/default.toml < this file < command-line flags.

[sandbox]
# The read-only base of the box: "host" (this machine's own system, read-only; your
# home, /root, /tmp, /run and secrets stay hidden), a registry image such as
# "debian:bookworm" or "node:22-alpine", "oci-archive:./img.tar", "oci:./layout:tag",
# "docker-archive:./img.tar" or "dir:./rootfs".
image = "host"

# The agent, as a command line or an array. "claude", "codex", "aider", "gemini" and
# "opencode" are presets: coop finds the agent on your PATH and binds only its install
# directory (read-only) into the box, keeps its state (~/.claude, ~/.codex, ...) per box,
# and passes its API-key variables (ANTHROPIC_API_KEY, OPENAI_API_KEY, ...) when they are
# set. Any other value is a command line run in the box: ["aider", "--model", "x"].
agent = "claude"
# args = []                   # extra arguments for the agent
# shell = "bash"              # for \`coop shell\` (falls back to /bin/sh)
# user = "coop"               # name of the in-box account (uid 0 inside, HOME=/home/coop)
# hostname = ""               # default: the box name

# Run by \`coop build\` in order, as root in the box, network on (images only).
# setup = ["apt-get update && apt-get install -y git curl"]
# packages = { apt = ["git"], npm = ["@anthropic-ai/claude-code"] }  # apt apk dnf pacman npm pip

# Host paths ("HOST:BOX", ":ro" for read-only; ~ is your home on the left and the
# in-box home on the right) and named volumes ("NAME:BOX", kept under ~/.coop/volumes).
# mounts = ["~/.gitconfig:~/.gitconfig:ro", "claude-config:~/.claude"]

# Limits and confinement (docs/security.md).
# seccomp = "default"         # coop's system-call filter; "off" turns it off
# tmpfs_size = "1g"           # each of /tmp, /dev/shm (and a \`coop run\` box's writable layer)
# memory = ""                 # e.g. "4g": needs a delegated cgroup v2 subtree
# pids = 0                    # e.g. 512: needs a delegated cgroup v2 subtree

[workspace]
# mount = "."                 # host directory bound read-write, relative to this file
# path = "/workspace"         # where it appears in the box

[env]
# Values may use $NAME or \${NAME} from the environment of the coop command ($$ for $).
# Expanded values are never written to disk or logs.
# ANTHROPIC_API_KEY = "$ANTHROPIC_API_KEY"
# EDITOR = "vim"

[network]
# mode = "host"               # "host" (shared), "none" (loopback only) or "veth"
# ports = ["8080:3000"]       # veth: host port : box port

[session]
# persist = [".claude"]       # directories under the in-box home kept across restarts
# auto_restart = true         # start the agent again when it exits
# restart_delay_ms = 1000

[input_filter]
# Web and tunnel clients cannot send Ctrl+D, Ctrl+\\ or an exit/quit line to the agent.
# ctrl_c_debounce_ms = 500
# block_sequences = ['\\x1b:q!\\r']   # more sequences; escapes \\xHH \\r \\n \\t \\e
`;

/** Writes the template to <dir>/coop.toml (with `agent` as the agent); refuses to replace an existing file unless force. */
export function initConfig(dir: string, opts: { force?: boolean; agent?: string } = {}): string {
  const file = join(dir, 'coop.toml');
  if (existsSync(file) && !opts.force) {
    throw new CoopError('ALREADY_EXISTS', `${file} already exists; use --force to replace it`);
  }
  const agent = opts.agent ? `agent = ${JSON.stringify(opts.agent)}\n` : null;
  // not group-writable whatever the umask (see owner.ts)
  writeFileSync(file, agent ? TEMPLATE.replace('agent = "claude"\n', agent) : TEMPLATE, { mode: 0o644 });
  return file;
}
