export { DataplaneDriver } from './driver.js';
export type { DataplaneDriverOptions, ApplyEvent, DriverEvents, RefusedItem } from './driver.js';
export { StaticSource } from './source.js';
export type { DesiredStateSource } from './source.js';
export { silentLogger } from './logger.js';
export type { DriverLogger } from './logger.js';
export { CompilerSource } from './compiler-source.js';
export { RpFilterWriter, fsProcSys, runnerProcSys, isSafeInterfaceName } from './rp-filter.js';
export type { ProcSys, RpFilterResult } from './rp-filter.js';
