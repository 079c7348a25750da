// '@coop/core/protocol': the daemon's protocol and its pieces, for tools that build their own
// transports, clients or servers (SPEC §5–§8). Not needed to embed coop: '@coop/core' has
// Client. These names may change between minor versions.
export {
  Client, connectDaemon, daemonEntry, boxForDirectory, resolveBox, AttachStream, Connection,
  type AttachEvents, type ConnectOptions,
} from './client/index.js';
export { Daemon, type DaemonOptions } from './daemon/daemon.js';
export { BoxService, type CreateOptions, type ClientOptions, type ShellOptions } from './daemon/service.js';
export { Gateway, type GatewayOptions, type DaemonCommands } from './daemon/gateway.js';
export { checkRequest, REMOTE_COMMANDS, type Peer, type PeerKind } from './daemon/policy.js';
export { WebServer, type WebServerOptions } from './web/server.js';
export { WebSocketTransport } from './web/ws-transport.js';
export { serveConnection, type Transport, type StreamSide, type Handlers } from './ipc/server.js';
export { FrameDecoder, encodeMessage, encodeStreamFrame, MAX_FRAME } from './ipc/frames.js';
export * from './ipc/messages.js';
export { InputFilter, BLOCK_WARNING } from './ptys/filter.js';
export { createRing, type ScrollbackRing } from './ptys/ring.js';
export { CoopError, type ErrorCode } from './errors.js';
