// '@coop/core/image': image references and sources, building and the image store's
// housekeeping (SPEC §3). '@coop/core' has buildImage, ensureRootfs and the housekeeping
// functions; these are the rest.
export { buildImage, ensureRootfs, packageCommands, type BuildOptions, type BuildResult } from './build.js';
export { clean, prune, diskUsage, type CleanResult, type DiskUsage } from './gc.js';
export { resolveRootfs, type RootfsOptions } from './rootfs.js';
export { parseReference, formatReference, type ImageReference } from './reference.js';
export { parseImageSource, formatImageSource, type ImageSource } from './source.js';
export type { RegistryOptions } from './registry.js';
