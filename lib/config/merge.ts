// Layering (SPEC §2): later layers win; a layer replaces only the keys it sets; [env] is
// merged key by key; setup, mounts, block_sequences and packages.* are appended.
import { defaultConfig } from './defaults.js';
import type { ConfigLocation } from './errors.js';
import type { Layer } from './layer.js';
import { APPENDED } from './schema.js';
import type { CoopConfig } from './types.js';

export interface Merged {
  /** The merged configuration; env values are still unexpanded. */
  config: CoopConfig;
  /** Where each final env value and each packages.* list came from. */
  origins: Map<string, ConfigLocation>;
}

export function mergeLayers(layers: Layer[], workspaceDir: string): Merged {
  const config = defaultConfig(workspaceDir) as unknown as Record<string, Record<string, unknown>>;
  const origins = new Map<string, ConfigLocation>();
  for (const layer of layers) {
    for (const [section, values] of Object.entries(layer.values)) {
      for (const [key, value] of Object.entries(values)) {
        const dotted = `${section}.${key}`;
        const target = config[section]!;
        if (APPENDED.has(dotted)) target[key] = [...(target[key] as unknown[]), ...(value as unknown[])];
        else if (dotted === 'sandbox.packages') {
          const into = target[key] as Record<string, string[]>;
          for (const [manager, list] of Object.entries(value as Record<string, string[]>)) {
            into[manager] = [...(into[manager] ?? []), ...list];
            origins.set(`sandbox.packages.${manager}`, { file: layer.source, line: layer.lines.get(`sandbox.packages.${manager}`), key: `sandbox.packages.${manager}` });
          }
        } else target[key] = value;
      }
    }
    for (const [name, value] of Object.entries(layer.env)) {
      config.env![name] = value;
      origins.set(`env.${name}`, { file: layer.source, line: layer.lines.get(`env.${name}`), key: `env.${name}` });
    }
  }
  return { config: config as unknown as CoopConfig, origins };
}
