// The test Typha server (issue 2 item 5): programmatic API; cli.ts wraps it for other processes.
export { TyphaServer, compareBytewise } from './typha-server.js';
export type {
  TyphaServerOptions,
  TyphaServerTlsOptions,
  TyphaServerStats,
  TyphaServerEvents,
} from './typha-server.js';
export type { ServerConnection, ClientHelloMsg } from './server-connection.js';
export { goTimeFromMs, msFromGoTime, GO_UNIX_OFFSET_SECONDS } from './go-time.js';
