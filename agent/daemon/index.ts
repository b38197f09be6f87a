export { Daemon, VERSION, keyType } from './daemon.js';
export type { DaemonOptions } from './daemon.js';
export type { DaemonDeps, SyncerLike, CalcLike, DriverLike, ApplyInfo } from './deps.js';
export type { DaemonStatus } from './status.js';
export { WorkQueue } from './work-queue.js';
