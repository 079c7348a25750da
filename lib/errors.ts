// The library's error type: a stable code (the IPC error codes of SPEC §6 plus a few
// local ones) and the CLI exit code it maps to (SPEC §9).

export type ErrorCode =
  | 'SESSION_NOT_FOUND'
  | 'SESSION_EXISTS'
  | 'PTY_NOT_FOUND'
  | 'INVALID_COMMAND'
  | 'VERSION_MISMATCH'
  | 'MESSAGE_TOO_LARGE'
  | 'ROOTFS_NOT_BUILT'
  | 'CONFIG_INVALID'
  | 'SANDBOX_FAILED'
  | 'INTERNAL'
  | 'BUSY'
  | 'FORBIDDEN'
  | 'BAD_ARGUMENTS'
  | 'DAEMON_FAILED'
  | 'TUNNEL_FAILED'
  | 'ALREADY_EXISTS'
  | 'IMAGE_FAILED';

const EXIT_CODES: Partial<Record<ErrorCode, number>> = {
  BAD_ARGUMENTS: 2,
  SESSION_NOT_FOUND: 3,
  PTY_NOT_FOUND: 3,
  DAEMON_FAILED: 4,
  ROOTFS_NOT_BUILT: 5,
  TUNNEL_FAILED: 6,
};

export class CoopError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoopError';
    this.code = code;
  }
  /** The CLI exit code for this error. */
  get exitCode(): number {
    return EXIT_CODES[this.code] ?? 1;
  }
}
