// Configuration errors name the file, the line and the key: `<file>:<line>: <key>: <problem>`.
import { CoopError, type ErrorCode } from '../errors.js';

export interface ConfigLocation {
  /** File path, or a label such as "command line" for CLI flags. */
  file: string;
  /** 1-based line, when known. */
  line?: number;
  /** Dotted key, e.g. "sandbox.image" or "env.TOKEN". */
  key?: string;
}

/** A CoopError (CONFIG_INVALID, or CONFIG_UNTRUSTED for a TrustError) with where the problem is. */
export class ConfigError extends CoopError {
  readonly file: string;
  readonly line: number | undefined;
  readonly key: string | undefined;
  /** The problem alone, without the location. */
  readonly problem: string;
  constructor(loc: ConfigLocation, problem: string, code: ErrorCode = 'CONFIG_INVALID') {
    super(code, formatLocated(loc, problem));
    this.name = 'ConfigError';
    this.file = loc.file;
    this.line = loc.line;
    this.key = loc.key;
    this.problem = problem;
  }
}

export function formatLocated(loc: ConfigLocation, problem: string): string {
  return `${loc.file}${loc.line ? `:${loc.line}` : ''}: ${loc.key ? `${loc.key}: ` : ''}${problem}`;
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate within a small distance, or null. */
export function suggest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}
