// Endpoint status files for the CNI's policy wait (felix/statusrep/status_file_reporter.go). Status reports
// to the datastore (felix/statusrep/status_reporter.go) are not part of felix-ts.
export { STATUS_DIR, goPathEscape, statusFilename, endpointStatus, renderStatus } from './status-file.js';
export type { WorkloadEndpointStatus } from './status-file.js';
export { EndpointStatusTracker } from './tracker.js';
export { EndpointStatusFileReporter, nodeStatusFs, defaultBackoff } from './file-reporter.js';
export type { StatusFs, FileReporterOptions } from './file-reporter.js';
