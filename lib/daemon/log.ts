// The daemon's log: operational events only — never environment values, tokens or
// terminal content.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export class DaemonLog {
  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  }

  write(event: string, fields: Record<string, string | number | boolean | null | undefined> = {}): void {
    const parts = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : v}`);
    try {
      appendFileSync(this.file, `${new Date().toISOString()} ${event}${parts.length ? ' ' + parts.join(' ') : ''}\n`, { mode: 0o600 });
    } catch {
      // a full disk must not take the daemon down
    }
  }
}
