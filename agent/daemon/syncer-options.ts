// The syncer client's options from the configuration: one mapping for the daemon (real-deps.ts)
// and `felix-ts diagnose`, so both talk to Typha the same way.
import type { SyncerClientOptions } from '../../syncer-client/client/index.js';
import type { FelixConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { VERSION } from './version.js';

/** The syncer client's options from the config (also what `felix-ts diagnose` checks). */
export function syncerClientOptions(
  cfg: FelixConfig,
  logger: Logger,
  failover?: SyncerClientOptions['failover'],
): SyncerClientOptions {
  // The config writes an unset ("none") string as ""; the client treats "" as unset.
  return {
    felixHostname: cfg.FelixHostname,
    typhaAddr: cfg.TyphaAddr,
    typhaK8sServiceName: cfg.TyphaK8sServiceName,
    typhaK8sNamespace: cfg.TyphaK8sNamespace,
    typhaCAFile: cfg.TyphaCAFile,
    typhaCertFile: cfg.TyphaCertFile,
    typhaKeyFile: cfg.TyphaKeyFile,
    typhaCN: cfg.TyphaCN,
    typhaURISAN: cfg.TyphaURISAN,
    typhaReadTimeoutMs: cfg.TyphaReadTimeout,
    typhaWriteTimeoutMs: cfg.TyphaWriteTimeout,
    version: VERSION,
    info: 'felix-ts',
    logger,
    failover,
  };
}
