// Writes the endpoint status files (felix/statusrep/status_file_reporter.go, v3.32.1): nothing until the
// dataplane is in sync; then the directory is read (created if missing, one level, mode 0755, as
// epstatusfile EnsureStatusDir's os.Mkdir) and reconciled with the desired files: a missing or different
// file is written (mode 0644), a file nobody wants is removed. Files are compared by the status they hold.
// A failure is retried on Felix's back-off (50 ms, 500 ms, then 5 s) with a fresh read of the directory;
// when healthy the directory is re-read every 10 s in case someone else changed it.
// Unlike Felix's os.WriteFile, a file is written to a temporary name and renamed into place, so a reader
// never sees a partial file (the CNI's fsnotify watch sees the rename as a Create).
import { mkdir, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/index.js';
import { STATUS_DIR, normaliseStatusText } from './status-file.js';

/** The file operations the reporter uses (tests substitute their own). */
export interface StatusFs {
  /** Creates one directory level; fails if the parent is missing. */
  mkdir(path: string, mode: number): Promise<void>;
  readdir(path: string): Promise<ReadonlyArray<{ readonly name: string; readonly isFile: boolean }>>;
  readFile(path: string): Promise<string>;
  writeFile(path: string, data: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

export const nodeStatusFs: StatusFs = {
  mkdir: async (p, mode) => {
    await mkdir(p, { mode });
  },
  readdir: async (p) =>
    (await readdir(p, { withFileTypes: true })).map((d) => ({ name: d.name, isFile: !d.isDirectory() })),
  readFile: (p) => readFile(p, 'utf8'),
  writeFile: (p, data, mode) => writeFile(p, data, { mode }),
  rename: (a, b) => rename(a, b),
  unlink: (p) => unlink(p),
};

/** wait.Backoff{Duration: 50ms, Factor: 10, Steps: 3, Cap: 5s} as newDefaultBackoff. */
export function defaultBackoff(): () => number {
  let duration = 50;
  let steps = 3;
  return () => {
    if (steps < 1) return duration;
    steps--;
    const now = duration;
    duration *= 10;
    if (duration > 5000) {
      duration = 5000;
      steps = 0;
    }
    return now;
  };
}

export interface FileReporterOptions {
  /** EndpointStatusPathPrefix; the files go to <prefix>/endpoint-status. */
  readonly prefix: string;
  readonly log: Logger;
  readonly fs?: StatusFs;
  /** Re-read interval while healthy (Felix: 10 s). */
  readonly reapplyMs?: number;
  /** Delay before each retry after a failure. */
  readonly backoff?: () => () => number;
}

const code = (e: unknown): string | undefined => (e as { code?: string }).code;

export class EndpointStatusFileReporter {
  readonly dir: string;
  private readonly fs: StatusFs;
  private readonly newBackoff: () => () => number;
  private backoff: () => number;
  private desired: ReadonlyMap<string, string> = new Map();
  /** What the directory holds (normalised), or undefined when it must be re-read. */
  private onDisk: Map<string, string> | undefined;
  private inSync = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private tmpSeq = 0;
  /** The last resync error logged at warning (a repeat is logged at debug). */
  private lastResyncError: string | undefined;

  constructor(private readonly o: FileReporterOptions) {
    this.dir = join(o.prefix, STATUS_DIR);
    this.fs = o.fs ?? nodeStatusFs;
    this.newBackoff = o.backoff ?? defaultBackoff;
    this.backoff = this.newBackoff();
    o.log.info('Starting endpoint-status file-reporter', { path: o.prefix });
  }

  /** The files that should exist now; `dataplaneInSync` once the first apply programmed everything. */
  update(files: ReadonlyMap<string, string>, dataplaneInSync: boolean): void {
    this.desired = new Map(files);
    if (dataplaneInSync && !this.inSync) {
      this.inSync = true;
      this.onDisk = undefined;
      this.o.log.info('Endpoint status file reporter running.');
    }
    this.kick();
  }

  /** True once the dataplane was in sync (Felix's DataplaneInSync): from then on the disk is reconciled. */
  get started(): boolean {
    return this.inSync;
  }

  /** Resolves when no pass is running or queued (tests). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.settled();
  }

  private kick(): void {
    if (this.stopped || !this.inSync) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  private async loop(): Promise<void> {
    let ok = true;
    do {
      this.again = false;
      ok = await this.pass();
    } while (this.again && !this.stopped);
    if (this.stopped) return;
    let delay: number;
    if (ok) {
      this.backoff = this.newBackoff();
      delay = this.o.reapplyMs ?? 10_000;
    } else {
      delay = this.backoff();
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onDisk = undefined; // the periodic re-read, or the retry's fresh read
      this.kick();
    }, delay);
    this.timer.unref();
  }

  /** One resync (when needed) and reconcile; false when something failed. */
  private async pass(): Promise<boolean> {
    if (!this.onDisk) {
      try {
        this.onDisk = await this.readDir();
      } catch (e) {
        // Felix warns on every retry (every 5 s while the prefix is missing); the same error again is debug here.
        const error = (e as Error).message;
        const log = error === this.lastResyncError ? this.o.log.debug : this.o.log.warn;
        log.call(this.o.log, 'Encountered an error while resyncing state with kernel. Queueing retry...', {
          dir: this.dir,
          error,
        });
        this.lastResyncError = error;
        return false;
      }
    }
    if (this.lastResyncError !== undefined) {
      this.o.log.info('Endpoint status directory readable again', { dir: this.dir });
      this.lastResyncError = undefined;
    }
    const disk = this.onDisk;
    let failed = false;
    for (const [name, content] of this.desired) {
      if (disk.get(name) === content) continue;
      try {
        await this.write(name, content);
        disk.set(name, content);
      } catch (e) {
        failed = true;
        this.o.log.warn('error on processing pending updates', { file: name, error: (e as Error).message });
      }
    }
    for (const name of [...disk.keys()]) {
      if (this.desired.has(name)) continue;
      try {
        this.o.log.debug('Deleting status file.', { file: name });
        await this.fs.unlink(join(this.dir, name));
        disk.delete(name);
      } catch (e) {
        if (code(e) === 'ENOENT') disk.delete(name);
        else {
          failed = true;
          this.o.log.error('error on deleting file', { file: name, error: (e as Error).message });
        }
      }
    }
    if (failed) {
      this.o.log.warn(
        'Encountered one or more errors while reconciling endpoint status dir. Queueing retry...',
      );
      this.onDisk = undefined;
    }
    return !failed;
  }

  /** EnsureStatusDir: every non-directory entry with the status it holds. */
  private async readDir(): Promise<Map<string, string>> {
    let entries: Awaited<ReturnType<StatusFs['readdir']>>;
    try {
      entries = await this.fs.readdir(this.dir);
    } catch (e) {
      if (code(e) !== 'ENOENT') throw e;
      await this.fs.mkdir(this.dir, 0o755);
      return new Map();
    }
    const out = new Map<string, string>();
    for (const ent of entries) {
      if (!ent.isFile) continue;
      let text = '';
      try {
        text = await this.fs.readFile(join(this.dir, ent.name));
      } catch (e) {
        this.o.log.warn('Failed to read file content.', { file: ent.name, error: (e as Error).message });
      }
      out.set(ent.name, normaliseStatusText(text));
    }
    return out;
  }

  /** Temporary name (no space, so never a status file's name) then rename into place. */
  private async write(name: string, content: string): Promise<void> {
    this.o.log.debug('Applying update to status file.', { file: name });
    const tmp = join(this.dir, `.tmp-${process.pid}-${this.tmpSeq++}`);
    await this.fs.writeFile(tmp, content, 0o644);
    try {
      await this.fs.rename(tmp, join(this.dir, name));
    } catch (e) {
      await this.fs.unlink(tmp).catch(() => undefined);
      throw e;
    }
  }
}
