export { DataplaneError } from './errors.js';
export type { DataplaneErrorCode } from './errors.js';
export {
  ExecaRunner,
  netnsPrefix,
  commandDeadlineMs,
  killAllChildren,
  oldestChildStartMs,
  liveChildGroups,
  setprivOnPath,
  DEFAULT_DEADLINE,
} from './runner.js';
export type { DeadlineParams } from './runner.js';
export type { CommandRunner, CommandResult, ExecaRunnerOptions } from './runner.js';
export { newCounters } from './counters.js';
export type { DataplaneCounters } from './counters.js';
export { detectBackend, binariesFor, parseBackendSetting } from './detect.js';
export type { IptablesBackend, IptablesBackendSetting, BackendBinaries, DetectResult } from './detect.js';
export { cleanupOtherBackend, cleanupInput, saveTables, sweepOtherBackend } from './other-backend.js';
export type { OtherBackendResult, OtherBackendTable } from './other-backend.js';
