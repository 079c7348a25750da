// What coop itself writes into a PTY's output (SPEC §7): dim notices around restarts, a red
// one when the agent keeps crashing.

export const exitedNotice = (code: number | null, signal: string | null) =>
  `\r\n\x1b[2m[process exited (${signal ? `signal ${signal}` : `code ${code}`})]\x1b[0m\r\n`;

export const restartingNotice = (delayMs: number) => `\x1b[2m[restarting in ${delayMs}ms...]\x1b[0m\r\n`;

export const crashLoopNotice = (exits: number, windowMs: number) =>
  `\x1b[1;31m[the agent exited ${exits} times within ${windowMs / 1000} s of starting; not restarting it. ` +
  'Check the agent command (sandbox.agent in coop.toml), then run `coop restart`.]\x1b[0m\r\n';
