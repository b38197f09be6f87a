// Public surface of the rule compiler (issue 5): calc->dataplane messages in, DesiredState out.
export type { CompilerConfig, FailsafePort } from './config.js';
export {
  defaultCompilerConfig,
  validateCompilerConfig,
  DEFAULT_FAILSAFE_INBOUND,
  DEFAULT_FAILSAFE_OUTBOUND,
} from './config.js';
export { CompilerError, CompilerConfigError, CompilerInputError, type CompilerErrorCode } from './errors.js';
export { DataplaneState, workloadKey, policyKey } from './state.js';
export type { IpSetEntry, PolicyEntry, WorkloadEntry, HostEndpointEntry } from './state.js';
export { compile, compileIpSets, compileWithReport, type CompileReport } from './compile.js';
export { ruleHashes, chainNameFor, MAX_CHAIN_NAME_LENGTH } from './hash.js';
export { ipSetName, escapeComment, isValidInterfaceName } from './names.js';
export { allocateMarks, type MarkBits } from './marks.js';
export { renderRestoreText, ruleLine } from './restore-text.js';
export { prefixTree } from './dispatch.js';
export { isStaged } from './policy-render.js';
