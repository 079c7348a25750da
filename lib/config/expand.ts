// `$NAME` and `${NAME}` in [env] values, from the caller's environment (`$$` is a
// literal `$`). The results are secrets: no message here ever contains a value.
import { ConfigError, type ConfigLocation } from './errors.js';

export interface Expanded {
  value: string;
  /** Names that were referenced but unset (expanded to ""). */
  unset: string[];
}

export function expandValue(raw: string, env: NodeJS.ProcessEnv, where: ConfigLocation): Expanded {
  const unset: string[] = [];
  const value = raw.replace(/\$(?:\$|\{([^}]*)\}?|([A-Za-z_][A-Za-z0-9_]*))?/g, (match, braced: string | undefined, bare: string | undefined) => {
    if (match === '$$') return '$';
    if (braced !== undefined || match.startsWith('${')) {
      if (!match.endsWith('}')) throw new ConfigError(where, 'unterminated ${...} reference');
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(braced ?? '')) {
        throw new ConfigError(where, `"\${${braced}}" is not a valid variable name`);
      }
    }
    const name = braced ?? bare;
    if (!name) return match; // a lone "$"
    const v = env[name];
    if (v === undefined) unset.push(name);
    return v ?? '';
  });
  return { value, unset };
}
