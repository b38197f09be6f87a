// The one long-running child the dataplane starts: `ip -o monitor link address`, whose lines tell the
// interface monitor (rules/driver/iface-monitor.ts) to re-read the node's interfaces, as Felix listens
// to netlink (felix/ifacemonitor/iface_monitor.go). Unlike runner.ts's commands it has no deadline and
// does not count as a busy dataplane (it is idle by design); it runs in its own process group, which is
// killed on stop() and on agent exit, and like runner.ts's children it is started through
// `setpriv --pdeathsig KILL` when setpriv is installed, so a kill -9 of the agent takes it along.
import { execa } from 'execa';
import { setprivOnPath } from './runner.js';

export interface LineWatch {
  stop(): void;
}

const groups = new Set<number>();
let hooked = false;

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: gone already.
  }
}

/**
 * Starts argv and calls onLine for each stdout line; onExit once when it ends (not after stop()).
 * A spawn failure is reported through onExit too.
 */
export function watchLines(
  argv: readonly string[],
  onLine: (line: string) => void,
  onExit: (reason: string) => void,
): LineWatch {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => groups.forEach(killGroup));
  }
  const setpriv = setprivOnPath();
  const pdeath = setpriv ? [setpriv, '--pdeathsig', 'KILL', '--'] : [];
  const [cmd, ...args] = [...pdeath, ...argv] as [string, ...string[]];
  const child = execa(cmd, args, {
    buffer: false,
    stdin: 'ignore',
    stderr: 'ignore',
    detached: true,
    reject: false,
  });
  const pgid = child.pid;
  if (pgid !== undefined) groups.add(pgid);
  let stopped = false;
  let rest = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) if (!stopped) onLine(l);
  });
  void child.then(
    (r) => {
      if (pgid !== undefined) groups.delete(pgid);
      if (!stopped) onExit(r.failed ? (r.shortMessage ?? 'failed') : `exit ${String(r.exitCode)}`);
    },
    (err: unknown) => {
      if (pgid !== undefined) groups.delete(pgid);
      if (!stopped) onExit(String(err));
    },
  );
  return {
    stop() {
      stopped = true;
      if (pgid !== undefined) {
        killGroup(pgid);
        groups.delete(pgid);
      }
    },
  };
}
