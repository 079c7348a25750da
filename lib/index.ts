// @coop/core — sandboxed, detachable sessions for AI coding agents on Linux namespaces.
//
//   import { loadConfig, run } from '@coop/core';
//   const { config } = loadConfig({ cwd: process.cwd() });
//   const { code } = await run({ cmd: ['make', 'test'], config, stdio: 'inherit' });

export * from './config/index.js';
export {
  run, createBox, enterCommand, enterPlan, isRunning, killBox, readBoxRecord, spawnInBox, spawnInUserns,
  planBox, boxSpecFor, encodePlan, SandboxError, userNamespaceBlocker, idMappingFor, currentUser, removeTree,
  type RunOptions, type RunResult, type RunHandle, type Box, type BoxProcess, type BoxRecord, type CreateBoxOptions,
  type BoxSpec, type BoxMount, type UsernsOptions, type Plan, type CreatePlan, type EnterPlan, type RemovePlan,
  type FsOp, type StageOp, type IdMapping, type IdRange, type Namespace, type ProcessSpec,
} from './sandbox/index.js';
export { parseReference, formatReference, type ImageReference } from './image/reference.js';
export { parseImageSource, type ImageSource } from './image/source.js';
export { CoopError, type ErrorCode } from './errors.js';
export { coopHome, sessionPaths, type SessionPaths } from './paths.js';
