// '@coop/core/sandbox' — the sandbox runtime: configuration -> a plan (data) -> coop-helper
// executes it. Plans, specs and the helper's process are internals: they may change between
// minor versions ('@coop/core' has run, createBox, execInBox, killBox).
// run() and createBox() here take a resolved rootfs (the image layer's resolveRootfs).
export { run, type RunOptions, type RunInRootfs, type RunResult, type RunHandle } from './run.js';
export {
  createBox, enterCommand, enterPlan, isRunning, killBox, readBoxRecord, readStartTime, spawnInBox,
  type Box, type BoxProcess, type BoxRecord, type CreateBoxOptions, type CreateBoxInRootfs,
} from './box.js';
export { scanBoxes, runningBoxes, boxNames, type BoxScan, type DamagedBox } from './discover.js';
export { execInBox, type ExecHandle, type ExecOptions, type ExecResult } from './exec.js';
export { coopHome, boxesDir, boxPaths, layerPaths, daemonPaths, type BoxPaths, type LayerPaths } from '../paths.js';
export { spawnInUserns, usernsPlan, canMapRange, type UsernsOptions } from './userns.js';
export { planBox, boxPath, processEnv, rootfsDirOf, PlanError, type BoxSpec, type BoxMount, type RootfsSource } from './box-plan.js';
export { scanHost, type HostLayout } from './host-image.js';
export { boxSpecFor, type BoxRequest } from './box-spec.js';
export { encodePlan } from './encode.js';
export { SandboxError, userNamespaceBlocker } from './errors.js';
export { HelperProcess, type HelperOutcome, type HelperOptions } from './helper-process.js';
export { currentUser, idMappingFor, type HostUser } from './idmap.js';
export { removeTree } from './remove.js';
export type * from './plan.js';
