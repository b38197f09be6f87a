// `felix-ts diagnose` (issue 18): the Typha path checked end to end.
export { runDiagnose, runChecks, DEFAULT_STEP_TIMEOUT_MS } from './diagnose.js';
export type { DiagnoseArgs, DiagnoseIo } from './diagnose.js';
export { checkLocalTls, validityProblem, EXPIRY_WARNING_DAYS } from './files.js';
export type { FileRead, LocalTlsInput, LocalTlsResult } from './files.js';
export { EXIT, exitCode, renderJson, renderText, worstStatus } from './report.js';
export type { Check, CheckStatus } from './report.js';
