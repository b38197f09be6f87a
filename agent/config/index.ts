export { PARAMS, PARAM_NAMES, canonicalParamName, paramDefault } from './params.js';
export type { FelixConfig, ParamName, ParamDef } from './params.js';
export { parseIni, readLocalSources, DEFAULT_CONFIG_FILE } from './sources.js';
export type {
  SourceKind,
  RawLayer,
  RawValue,
  LocalSources,
  LocalSourceInput,
  LocalSourcesResult,
} from './sources.js';
export {
  ConfigError,
  resolveConfig,
  diffConfig,
  restartRequired,
  noEffectSettings,
  RESTART_EXIT_CODE,
  dataplaneWatchdogMs,
  describeValue,
} from './resolve.js';
export type { ConfigProblem, ResolvedConfig, ResolveOptions } from './resolve.js';
export { loadConfig, withDatastore } from './load.js';
export type { LoadedConfig } from './load.js';
export { parseGoDuration, formatGoDuration } from './values.js';
export type { ProtoPort, PortRange } from './values.js';
export { effectiveConfig, formatEffectiveConfig } from './effective.js';
export type { EffectiveParam } from './effective.js';
