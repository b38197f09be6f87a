// `felix-ts run`: load config (one error listing every bad field), start the daemon, map signals
// (felix/daemon/daemon.go: SIGTERM/SIGINT stop, SIGHUP = reload = exit 129), exit with its code.
import { accessSync, appendFileSync, constants, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, loadConfig, RESTART_EXIT_CODE, type LoadedConfig } from '../config/index.js';
import { createLogger, type RootLogger, type Severity } from '../log/index.js';
import { Daemon, compilerConfigFrom, realDeps, type DaemonDeps } from '../daemon/index.js';
import { registerProfilingSignalHandlers } from '../daemon/profiles.js';
import { limitHeapGrowth } from '../daemon/heap.js';
import { setprivOnPath } from '../../rules/backend/index.js';
import type { Io } from './commands.js';

export interface RunOptions {
  readonly configFile?: string | undefined;
  readonly sets?: readonly string[];
  /** Replaces the real syncer/calc/driver (tests). */
  readonly deps?: DaemonDeps;
  /** Compute and log the restore input but never run iptables-restore/ipset (trying felix-ts next to Felix). */
  readonly dryRun?: boolean;
  /** Install process signal and crash handlers (the real CLI does; in-process tests do not). */
  readonly installProcessHandlers?: boolean;
}

/** Validates what `run` needs beyond the parameter syntax; returns problems, [] when fine. */
export function runPreflight(loaded: LoadedConfig): string[] {
  const c = loaded.config;
  const problems: string[] = [];
  if (!c.TyphaAddr && !c.TyphaK8sServiceName) {
    problems.push('felix-ts needs Typha: set FELIX_TYPHAADDR (host:port) or FELIX_TYPHAK8SSERVICENAME');
  }
  try {
    compilerConfigFrom(c);
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
  }
  return problems;
}

/** A LogFilePath we cannot write is dropped with a warning (Felix would exit: felix/logutils). */
function usableLogFile(path: string, warn: string[]): string | undefined {
  if (!path) return undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    appendFileSync(path, '');
    accessSync(path, constants.W_OK);
    return path;
  } catch (e) {
    warn.push(
      `Cannot write LogFilePath ${path} (${(e as Error).message}); logging to the screen only. Set FELIX_LOGFILEPATH=none to silence this.`,
    );
    return undefined;
  }
}

export async function runCommand(io: Io, opts: RunOptions): Promise<number> {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig({ env: io.env, configFile: opts.configFile, sets: opts.sets ?? [] });
  } catch (e) {
    if (e instanceof ConfigError) {
      io.err.write(`felix-ts: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const problems = runPreflight(loaded);
  if (problems.length > 0) {
    io.err.write(
      `felix-ts: Invalid configuration (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n${problems.map((p) => `  - ${p}`).join('\n')}\n`,
    );
    return 1;
  }
  const c = loaded.config;
  const warn: string[] = [];
  const filePath = usableLogFile(c.LogFilePath, warn);
  const logger: RootLogger = createLogger({
    severity: c.LogSeverityScreen as Severity,
    format: c.LogFormat,
    stream: io.out,
    filePath,
    fileSeverity: c.LogSeverityFile as Severity,
  });
  for (const w of warn) logger.warn(w);
  const daemon = new Daemon({
    loaded,
    logger,
    deps: opts.deps ?? realDeps(opts.dryRun ? { dryRun: true } : {}),
  });
  if (opts.dryRun) logger.warn('Dry run: the dataplane is computed but never programmed (--dry-run).');
  else if (!setprivOnPath())
    logger.warn(
      'setpriv (util-linux) is not on PATH: an iptables-restore or ipset child running when felix-ts is killed with SIGKILL will outlive it',
    );

  const cleanup: (() => void)[] = [];
  if (opts.installProcessHandlers) {
    // The real process only: a V8 flag is process-wide, and in-process tests share theirs.
    const heap = limitHeapGrowth();
    if (heap) logger.debug('Limited JavaScript heap growth between full collections', { flag: heap });
    const on = (sig: NodeJS.Signals, f: () => void): void => {
      process.on(sig, f);
      cleanup.push(() => process.off(sig, f));
    };
    on('SIGTERM', () => void daemon.stop('Received SIGTERM'));
    on('SIGINT', () => void daemon.stop('Received SIGINT'));
    // SIGUSR1/SIGUSR2 profiles (Felix's), and no Node debugger on SIGUSR1: agent/daemon/profiles.ts.
    cleanup.push(registerProfilingSignalHandlers(c, logger));
    on('SIGHUP', () => {
      logger.info('Received a SIGHUP, treating as a request to reload config');
      void daemon.restart('Received SIGHUP');
    });
    // Crash-proof: an unexpected error is logged; the daemon carries on (its loop is intact).
    const onErr = (e: unknown): void => {
      logger.error('Unexpected error (continuing)', {
        error: e instanceof Error ? (e.stack ?? e.message) : String(e),
      });
    };
    process.on('uncaughtException', onErr);
    process.on('unhandledRejection', onErr);
    cleanup.push(
      () => process.off('uncaughtException', onErr),
      () => process.off('unhandledRejection', onErr),
    );
  }
  try {
    await daemon.start();
  } catch (e) {
    logger.error('Failed to start', { error: e instanceof Error ? e.message : String(e) });
    await daemon.stop('start-up failed');
    cleanup.forEach((f) => f());
    return 1;
  }
  const code = await daemon.exited;
  if (code === RESTART_EXIT_CODE) logger.info('Sleeping to avoid tight restart loop.');
  cleanup.forEach((f) => f());
  logger.close();
  return code;
}
