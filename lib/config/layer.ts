// One configuration layer (built-in defaults, the global file, the project file, CLI
// flags): checked against the schema and normalised, with the line of every key kept
// for later messages.
import { dirname } from 'node:path';
import { parse } from 'smol-toml';
import { ConfigError, suggest } from './errors.js';
import { locateKeys } from './locate.js';
import { ENV_CHECK, ENV_NAME, SCHEMA, tomlType } from './schema.js';

export interface Layer {
  /** File path, or "command line". */
  source: string;
  /** section -> key -> normalised value (env excluded). */
  values: Record<string, Record<string, unknown>>;
  /** Raw [env] values (not yet expanded). */
  env: Record<string, string>;
  /** Dotted key -> line, for messages about this layer. */
  lines: Map<string, number>;
}

const isTable = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

/** Checks a parsed document (or a CLI-flag object) against the schema. Throws ConfigError. */
export function layerFromObject(
  doc: Record<string, unknown>,
  source: string,
  baseDir: string,
  home: string,
  lines = new Map<string, number>(),
): Layer {
  const at = (key: string) => ({ file: source, line: lines.get(key), key });
  const layer: Layer = { source, values: {}, env: {}, lines };
  for (const [section, body] of Object.entries(doc)) {
    const fields = SCHEMA[section];
    if (!fields) {
      const hint = suggest(section, Object.keys(SCHEMA));
      throw new ConfigError(at(section), `unknown section${hint ? ` (did you mean [${hint}]?)` : ''}`);
    }
    if (!isTable(body)) throw new ConfigError(at(section), `expected a table ([${section}]), got ${tomlType(body)}`);
    if (section === 'env') {
      for (const [name, value] of Object.entries(body)) {
        const key = `env.${name}`;
        if (!ENV_NAME.test(name)) throw new ConfigError(at(key), 'variable names are letters, digits and "_", not starting with a digit');
        try {
          layer.env[name] = ENV_CHECK(value, { baseDir, home }) as string;
        } catch (e) {
          throw new ConfigError(at(key), (e as Error).message);
        }
      }
      continue;
    }
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(body)) {
      const key = `${section}.${name}`;
      const check = fields[name];
      if (!check) {
        const hint = suggest(name, Object.keys(fields));
        throw new ConfigError(at(key), `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}`);
      }
      try {
        out[name] = check(value, { baseDir, home });
      } catch (e) {
        throw new ConfigError(at(key), (e as Error).message);
      }
    }
    layer.values[section] = out;
  }
  return layer;
}

/** Parses and checks the text of a coop.toml file. Throws ConfigError (syntax errors included). */
export function layerFromText(text: string, file: string, home: string): Layer {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    const err = e as Error & { line?: number };
    const reason = err.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
    throw new ConfigError({ file, line: err.line }, `TOML syntax error: ${reason}`);
  }
  return layerFromObject(doc, file, dirname(file), home, locateKeys(text));
}
