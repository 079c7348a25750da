// '@coop/core/config' — coop.toml: schema, layering, expansion, validation, trust (SPEC §2).
export { loadConfig, findProject, globalConfigPath, redactConfig, type LoadConfigOptions, type LoadedConfig, type ConfigOverrides } from './load.js';
export { ConfigError, type ConfigLocation } from './errors.js';
export { trustFile, revokeTrust, isTrusted, trustState, requireTrust, TrustError, type TrustOptions, type TrustState, type Trusted } from './trust.js';
export { trustStorePath } from './trust-store.js';
export { wideningKeys, formatWidening, type Widening } from './widen.js';
export { readOwnFile, type OwnFile, type OwnRead } from './owner.js';
export { defaultConfig } from './defaults.js';
export { parseMountEntry, formatMount, checkMount, configMounts } from './mounts.js';
export { parseSequence } from './sequence.js';
export { splitWords } from './words.js';
export { initConfig, TEMPLATE } from './template.js';
export { SCHEMA, PACKAGE_MANAGERS } from './schema.js';
export type * from './types.js';
