// The library's one error type: CoopError, with a stable `code` (the IPC error codes of
// SPEC §6 plus a few local ones) and the CLI exit code it maps to (SPEC §9). ConfigError,
// TrustError and SandboxError are CoopErrors with more detail.

/**
 * What went wrong, as a stable word. The daemon sends the same codes over its protocol.
 *
 * | code | meaning |
 * | --- | --- |
 * | `BOX_NOT_FOUND` | no box by that name (or for that directory) |
 * | `BOX_EXISTS` | a box of that name is already running |
 * | `PTY_NOT_FOUND` | the box has no PTY with that id |
 * | `INVALID_COMMAND` | the daemon did not understand a request |
 * | `VERSION_MISMATCH` | client and daemon speak different protocol versions |
 * | `MESSAGE_TOO_LARGE` | a protocol frame over 1 MiB |
 * | `ROOTFS_NOT_BUILT` | the configuration's image is not built yet (`buildImage`) |
 * | `CONFIG_INVALID` | a configuration file, key or value is wrong (`ConfigError`) |
 * | `CONFIG_UNTRUSTED` | a project coop.toml reaches outside the box and is not trusted (`TrustError`) |
 * | `SANDBOX_FAILED` | the kernel refused to set up or enter a box (`SandboxError` has the syscall) |
 * | `INTERNAL` | a bug: please report it |
 * | `BUSY` | the daemon is at a limit (too many requests or clients); try again |
 * | `FORBIDDEN` | a web or tunnel peer asked for something only local clients may do |
 * | `BAD_ARGUMENTS` | an argument is out of range or malformed |
 * | `DAEMON_FAILED` | the daemon could not be started or reached, or went away |
 * | `TUNNEL_FAILED` | the tunnel could not be set up |
 * | `ALREADY_EXISTS` | something of that name already exists (e.g. a coop.toml for `coop init`) |
 * | `IMAGE_FAILED` | an image could not be pulled, unpacked or built |
 * | `UPDATE_FAILED` | the package registry could not be asked, or npm could not install |
 *
 * @example
 *   const code: ErrorCode = err instanceof CoopError ? err.code : 'INTERNAL';
 */
export type ErrorCode =
  | 'BOX_NOT_FOUND'
  | 'BOX_EXISTS'
  | 'PTY_NOT_FOUND'
  | 'INVALID_COMMAND'
  | 'VERSION_MISMATCH'
  | 'MESSAGE_TOO_LARGE'
  | 'ROOTFS_NOT_BUILT'
  | 'CONFIG_INVALID'
  | 'CONFIG_UNTRUSTED'
  | 'SANDBOX_FAILED'
  | 'INTERNAL'
  | 'BUSY'
  | 'FORBIDDEN'
  | 'BAD_ARGUMENTS'
  | 'DAEMON_FAILED'
  | 'TUNNEL_FAILED'
  | 'ALREADY_EXISTS'
  | 'IMAGE_FAILED'
  | 'UPDATE_FAILED';

const EXIT_CODES: Partial<Record<ErrorCode, number>> = {
  BAD_ARGUMENTS: 2,
  BOX_NOT_FOUND: 3,
  PTY_NOT_FOUND: 3,
  DAEMON_FAILED: 4,
  ROOTFS_NOT_BUILT: 5,
  TUNNEL_FAILED: 6,
};

/**
 * Every error `@coop/core` throws on purpose: a one-line `message` naming what, why and the
 * fix, and a `code` from {@link ErrorCode}. Anything else thrown is a bug.
 *
 * @example
 *   try {
 *     await run({ cmd: ['make'], config });
 *   } catch (e) {
 *     if (e instanceof CoopError && e.code === 'ROOTFS_NOT_BUILT') await buildImage({ config, coopHome: coopHome(), baseDir: workspace });
 *     else throw e;
 *   }
 */
export class CoopError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoopError';
    this.code = code;
  }
  /**
   * The CLI exit code for this error (SPEC §9): 2, 3, 4, 5, 6 for some codes, else 1.
   *
   * @example
   *   process.exitCode = err instanceof CoopError ? err.exitCode : 1;
   */
  get exitCode(): number {
    return EXIT_CODES[this.code] ?? 1;
  }
}
