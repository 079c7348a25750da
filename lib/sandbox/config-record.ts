// The configuration a served box was made with, kept in its directory (BoxPaths.served):
// a daemon taking the box over starts its agent with it again, and `coop system volumes`
// finds the volumes running boxes use. [env] values are never written (they may be secrets).
import { readFileSync, writeFileSync } from 'node:fs';
import { redactConfig } from '../config/load.js';
import { mountsFromRecord } from '../config/mounts.js';
import type { CoopConfig } from '../config/types.js';
import type { BoxPaths } from '../paths.js';

export interface ConfigRecord {
  /** The configuration, [env] values replaced by "***". */
  config: CoopConfig;
  /** The TERM the box was created with (shells default to it). */
  term: string;
}

/** Writes the record of a box made with `config` (its [env] values redacted). */
export function writeConfigRecord(paths: BoxPaths, config: CoopConfig, term: string): void {
  const record: ConfigRecord = { config: redactConfig(config), term };
  writeFileSync(paths.served, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
}

/**
 * Reads a box's configuration record; mounts written as strings by earlier versions become
 * data. Throws an Error naming the file and what is wrong with it.
 */
export function readConfigRecord(paths: BoxPaths): ConfigRecord {
  let saved: ConfigRecord;
  try {
    saved = JSON.parse(readFileSync(paths.served, 'utf8')) as ConfigRecord;
    if (!saved.config?.sandbox || !saved.config.workspace || typeof saved.term !== 'string') throw new Error('incomplete');
  } catch {
    throw new Error(`its configuration record ${paths.served} is unreadable`);
  }
  try {
    saved.config.sandbox.mounts = mountsFromRecord(saved.config.sandbox.mounts, saved.config.workspace.mount);
  } catch (e) {
    throw new Error(`its configuration record ${paths.served} is unusable: ${(e as Error).message}`);
  }
  return saved;
}
