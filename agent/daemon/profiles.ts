// Profiles on signal, as Felix does it (felix/logutils/dump.go RegisterProfilingSignalHandlers):
// - SIGUSR1 writes a heap profile to DebugMemoryProfilePath;
// - SIGUSR2 records a 10 s CPU profile to DebugCPUProfilePath.
// In both paths "<timestamp>" becomes the time, in Go's "2006-01-02-15:04:05" layout. The log lines are
// Felix's. Two things differ from Felix:
// - The files are V8's formats, not pprof: a .heapsnapshot and a .cpuprofile, both JSON. Open them in
//   Chrome DevTools.
// - Writing a heap snapshot stops the event loop while it runs.
// Node opens its inspector on SIGUSR1 unless the process listens for SIGUSR1 itself, so the listener is
// always installed. A SIGUSR1 therefore never opens a debugger port on a node. With an empty path it
// only logs.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { writeHeapSnapshot } from 'node:v8';
import type { Logger } from '../log/index.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** Felix's renderFileName: the first "<timestamp>" becomes local time as 2006-01-02-15:04:05. */
export function renderFileName(template: string, now = new Date()): string {
  const ts =
    `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}-` +
    `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  return template.replace('<timestamp>', ts);
}

export function dumpHeapProfile(template: string, log: Logger): void {
  const file = renderFileName(template);
  log.info('Asked to create a memory profile.', { file });
  try {
    log.info('Writing memory profile...', { file });
    writeHeapSnapshot(file);
    log.info('Finished writing memory profile', { file });
  } catch (e) {
    log.error('Could not write memory profile', { file, error: String(e) });
  }
}

/** Records `ms` of CPU profile into the file; resolves when it is written (or failed). */
export async function dumpCpuProfile(template: string, log: Logger, ms = 10_000): Promise<void> {
  const file = renderFileName(template);
  log.info('Asked to create a CPU profile.', { file });
  const s = new Session();
  const post = (method: string) =>
    new Promise<unknown>((res, rej) => s.post(method, (err, r) => (err ? rej(err) : res(r))));
  try {
    s.connect();
    await post('Profiler.enable');
    await post('Profiler.start');
    log.info('Writing CPU profile...', { file });
    await new Promise((r) => setTimeout(r, ms));
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(file, JSON.stringify(profile));
    log.info('Finished writing CPU profile', { file });
  } catch (e) {
    log.error('Could not write CPU profile', { file, error: String(e) });
  } finally {
    s.disconnect();
  }
}

/**
 * Installs the SIGUSR1/SIGUSR2 handlers; returns their removal. One CPU profile at a time: a SIGUSR2
 * while one runs is logged and dropped.
 */
export function registerProfilingSignalHandlers(
  cfg: { readonly DebugMemoryProfilePath: string; readonly DebugCPUProfilePath: string },
  log: Logger,
  cpuMs = 10_000,
): () => void {
  let cpuBusy = false;
  const usr1 = (): void => {
    if (cfg.DebugMemoryProfilePath === '')
      log.info('SIGUSR1: DebugMemoryProfilePath is empty, no memory profile written');
    else dumpHeapProfile(cfg.DebugMemoryProfilePath, log);
  };
  const usr2 = (): void => {
    if (cfg.DebugCPUProfilePath === '') {
      log.info('SIGUSR2: DebugCPUProfilePath is empty, no CPU profile written');
      return;
    }
    if (cpuBusy) {
      log.warn('SIGUSR2: a CPU profile is already being written');
      return;
    }
    cpuBusy = true;
    void dumpCpuProfile(cfg.DebugCPUProfilePath, log, cpuMs).finally(() => (cpuBusy = false));
  };
  process.on('SIGUSR1', usr1);
  process.on('SIGUSR2', usr2);
  return () => {
    process.off('SIGUSR1', usr1);
    process.off('SIGUSR2', usr2);
  };
}
