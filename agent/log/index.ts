export {
  createLogger,
  formatTextLine,
  felixTimestamp,
  renderFieldValue,
  nullLogger,
  memoryLogger,
  SEVERITIES,
  logStats,
} from './logger.js';
export type {
  Logger,
  RootLogger,
  LogFields,
  Severity,
  LogFormat,
  LoggerOptions,
  RecordedLine,
} from './logger.js';
