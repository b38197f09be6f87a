// The Calico CNI plugin's policy wait, reimplemented from Calico v3.32.1 for the tests (not product code):
// cni-plugin/pkg/k8s/k8s.go waits, when policy_setup_timeout_seconds > 0, in endpoint_status_dir (default
// /var/run/calico/endpoint-status) with cni-plugin/pkg/wait/wait.go ForEndpointReadyWithTimeout:
//   - the file name comes from the pod's WorkloadEndpoint key (orchestrator "k8s", workload
//     "<namespace>/<pod>", endpoint = the interface name), each part url.PathEscape'd, joined by spaces;
//   - loop: start an fsnotify watch on the directory (failing, e.g. no directory yet: poll instead), stat the
//     file (found: done), else wait for a Create event whose base name is the file; on an error retry after
//     500 ms; when the timeout passes, give up with "timed out waiting for endpoint status file '<path>':
//     file not found" (k8s.go then logs a warning and lets the pod start).
// Node's fs.watch has no Create operation: a 'rename' event for the name after which the file exists is
// taken as fsnotify's Create (inotify IN_CREATE or IN_MOVED_TO).
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

/** net/url shouldEscape(c, encodePathSegment), written out as Go's switch. */
function shouldEscape(c: number): boolean {
  const ch = String.fromCharCode(c);
  if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) return false;
  switch (ch) {
    case '-':
    case '_':
    case '.':
    case '~':
      return false;
    case '$':
    case '&':
    case '+':
    case ',':
    case '/':
    case ':':
    case ';':
    case '=':
    case '?':
    case '@':
      return ch === '/' || ch === ';' || ch === ',' || ch === '?';
  }
  return true;
}

function pathEscape(s: string): string {
  const bytes = new TextEncoder().encode(s);
  return Array.from(bytes, (b) =>
    shouldEscape(b) ? `%${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b),
  ).join('');
}

export interface PodEndpoint {
  readonly namespace: string;
  readonly pod: string;
  /** The endpoint (container interface) name, "eth0". */
  readonly endpoint: string;
}

export function cniStatusFilename(ep: PodEndpoint): string {
  return ['k8s', `${ep.namespace}/${ep.pod}`, ep.endpoint].map(pathEscape).join(' ');
}

const exists = async (p: string): Promise<boolean> => {
  try {
    await stat(p);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return false;
    throw e;
  }
};

/** One waitUntilFileExistsOrError round: true when found; false when the deadline passed first. */
async function oneRound(dir: string, name: string, deadline: number): Promise<boolean> {
  let watcher: FSWatcher | undefined;
  let onCreate: (() => void) | undefined;
  let onError: ((e: Error) => void) | undefined;
  const events = new Promise<boolean>((resolve, reject) => {
    onCreate = () => resolve(true);
    onError = reject;
  });
  events.catch(() => undefined); // an error after this round is over is nobody's concern
  try {
    try {
      watcher = watch(dir, (_ev, file) => {
        if (file !== name) return;
        void exists(join(dir, name)).then((yes) => yes && onCreate?.(), onError);
      });
      watcher.on('error', (e) => onError?.(e));
    } catch {
      watcher = undefined; // no directory yet: fall back to polling
    }
    if (await exists(join(dir, name))) return true;
    if (!watcher) throw new Error('watch failed');
    const left = Math.max(0, deadline - Date.now());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), left)));
    try {
      return await Promise.race([events, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    watcher?.close();
  }
}

/** ForEndpointReadyWithTimeout: resolves when the file is there; rejects as the plugin does on timeout. */
export async function waitForEndpointReady(dir: string, ep: PodEndpoint, timeoutMs: number): Promise<void> {
  const name = cniStatusFilename(ep);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await oneRound(dir, name, deadline)) return;
    } catch {
      // "Filesystem check failed. Scheduling retry..."
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, deadline - Date.now()))));
    if (Date.now() >= deadline) break;
  }
  throw new Error(`timed out waiting for endpoint status file '${join(dir, name)}': file not found`);
}
