export { Daemon } from './daemon.js';
export type { DaemonOptions } from './daemon.js';
export { VERSION } from './version.js';
export type {
  DaemonDeps,
  SyncerLike,
  CalcLike,
  DriverLike,
  ApplyInfo,
  Dataplane,
  CompiledView,
} from './deps.js';
export type { DaemonStatus } from './status.js';
export { WorkQueue } from './work-queue.js';
export { realDeps } from './real-deps.js';
export { syncerClientOptions } from './syncer-options.js';
export type { RealDepsOptions } from './real-deps.js';
export { compilerConfigFrom } from './compiler-config.js';
export { describeChains, describeEndpointChains } from './inspect.js';
export type { InspectedChain, InspectedRule, ChainOwner, SourceRule } from './inspect.js';
export { trace, parsePacketSpec, resolveEnd, TraceError } from './trace.js';
export type { TraceResult, TraceEndView, PacketSpec } from './trace.js';
export type { DirectionTrace, KernelRule, TraceStep, Verdict, DecidedBy } from './trace-eval.js';
