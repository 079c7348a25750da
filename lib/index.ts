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
export { coopHome, sessionPaths, daemonPaths, type SessionPaths } from './paths.js';

// The daemon and its protocol (SPEC §5–§8).
export {
  Client, connectDaemon, boxForDirectory, resolveBox, AttachStream, Connection,
  type AttachEvents, type ConnectOptions,
} from './client/index.js';
export { Daemon, type DaemonOptions } from './daemon/daemon.js';
export { SessionService, type CreateOptions, type ClientOptions, type ShellOptions } from './daemon/service.js';
export { Gateway, type GatewayOptions, type DaemonCommands } from './daemon/gateway.js';
export { checkRequest, REMOTE_COMMANDS, type Peer, type PeerKind } from './daemon/policy.js';
export { WebServer, type WebServerOptions } from './web/server.js';
export { WebSocketTransport } from './web/ws-transport.js';
export { serveConnection, type Transport, type StreamSide, type Handlers } from './ipc/server.js';
export { FrameDecoder, encodeMessage, encodeStreamFrame, MAX_FRAME } from './ipc/frames.js';
export * from './ipc/messages.js';
export { InputFilter, BLOCK_WARNING } from './session/filter.js';
export { createRing, type ScrollbackRing } from './session/ring.js';
