// Public surface of the Typha syncer client (issue 3).
export { SyncerClient } from './syncer-client.js';
export type { SyncerClientEnd, SyncerEventListener } from './syncer-client.js';
export { resolveOptions } from './options.js';
export type {
  SyncerClientOptions,
  KubernetesApiOptions,
  FailoverOptions,
  ResolvedOptions,
  TlsFiles,
  EndpointSource,
} from './options.js';
export { SyncerClientError, describeError } from './errors.js';
export type { SyncerErrorCode } from './errors.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export { parseTyphaAddr, parseEndpoint, joinHostPort } from './endpoints.js';
export type { Endpoint } from './endpoints.js';
export {
  discoverTyphaEndpoints,
  endpointsFromSliceList,
  apiBaseUrl,
  TYPHA_PORT_NAME,
} from './k8s-discovery.js';
export type { DiscoveredEndpoints, DiscoveryParams } from './k8s-discovery.js';
export { AttemptTracker, attemptBudget, roundBackoffMs } from './failover.js';
export { ResyncView } from './resync.js';
export { checkPeerIdentity, uriSANs, commonName, tlsConnectOptions } from './tls.js';
export type { TlsMaterial } from './tls.js';
export { syncStatusFromWire } from './session.js';
// Connection diagnosis, shared by the agent's log and `felix-ts diagnose` (issue 18).
export {
  diagnoseBeforeHello,
  diagnoseIdentity,
  diagnoseSocketError,
  diagnoseTimeout,
  diagnoseVerifyFailure,
  describeIdentity,
  formatDN,
  goTime,
} from './diagnosis.js';
export type {
  Diagnosis,
  DiagnosisCause,
  DiagnosisStep,
  DialContext,
  SessionContext,
  TlsContext,
} from './diagnosis.js';
export {
  certCN,
  checkCaText,
  checkCertText,
  checkKeyPair,
  checkKeyText,
  checkTlsMaterial,
  keyFileModeWarning,
  keyModeDiagnosis,
  loadTlsMaterial,
  pemCertificates,
  readErrorDiagnosis,
  subjectLine,
} from './tls-files.js';
export type { FileField } from './tls-files.js';
export { dialTypha } from './dial.js';
export type { DialParams } from './dial.js';
export { TyphaSession } from './session.js';
export type { SessionCallbacks, SessionParams } from './session.js';
