// A tiny traffic agent run inside one network namespace (`ip netns exec <ns> node netns-worker.js
// --listen 8080,9090`). It serves TCP echo on the given ports and executes JSON-line commands
// from stdin (one reply line per command on stdout), so a test can drive many connects from
// one long-lived process instead of spawning nc for each flow. It exits when stdin closes.
import net from 'node:net';
import http from 'node:http';
import readline from 'node:readline';

type Command =
  | { id: number; op: 'connect'; host: string; port: number; timeoutMs: number }
  | { id: number; op: 'open'; host: string; port: number; timeoutMs: number }
  | { id: number; op: 'echo'; conn: number; timeoutMs: number }
  | { id: number; op: 'close'; conn: number }
  | { id: number; op: 'http'; url: string; timeoutMs: number }
  | { id: number; op: 'ping' };

function reply(obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

const listenPorts = (() => {
  const i = process.argv.indexOf('--listen');
  const spec = i >= 0 ? (process.argv[i + 1] ?? '') : '';
  return spec
    .split(',')
    .filter((s) => s !== '')
    .map((s) => Number(s));
})();

// Echo servers: every chunk received is written back, so a client can prove a round trip.
const servers = listenPorts.map(
  (port) =>
    new Promise<void>((resolve, reject) => {
      const srv = net.createServer((sock) => {
        sock.on('error', () => sock.destroy());
        sock.on('data', (d) => sock.write(d));
      });
      srv.on('error', reject);
      srv.listen(port, '0.0.0.0', () => resolve());
    }),
);

const conns = new Map<number, { sock: net.Socket; buf: string }>();
let nextConn = 1;

/** Connects and proves a round trip ("hello" echoed back) within timeoutMs. */
function connectAndEcho(host: string, port: number, timeoutMs: number, keep: boolean): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const token = `hello-${Math.random()}\n`;
    let got = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('timeout'));
    }, timeoutMs);
    sock.on('connect', () => sock.write(token));
    sock.on('data', (d) => {
      got += d.toString();
      if (got.includes(token)) {
        clearTimeout(timer);
        sock.removeAllListeners('data');
        if (!keep) sock.end();
        resolve(sock);
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    });
  });
}

function echoOn(conn: number, timeoutMs: number): Promise<void> {
  const c = conns.get(conn);
  if (!c) return Promise.reject(new Error(`no such connection ${conn}`));
  return new Promise((resolve, reject) => {
    const token = `tick-${Math.random()}\n`;
    let got = '';
    const onData = (d: Buffer): void => {
      got += d.toString();
      if (got.includes(token)) done();
    };
    const onClose = (): void => finish(new Error('connection closed'));
    const timer = setTimeout(() => finish(new Error('timeout')), timeoutMs);
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      c.sock.off('data', onData);
      c.sock.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const done = (): void => finish();
    c.sock.on('data', onData);
    c.sock.on('close', onClose);
    c.sock.write(token);
  });
}

function httpGet(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function handle(cmd: Command): Promise<void> {
  const start = performance.now();
  try {
    switch (cmd.op) {
      case 'ping':
        reply({ id: cmd.id, ok: true });
        return;
      case 'connect':
        await connectAndEcho(cmd.host, cmd.port, cmd.timeoutMs, false);
        reply({ id: cmd.id, ok: true, ms: performance.now() - start });
        return;
      case 'open': {
        const sock = await connectAndEcho(cmd.host, cmd.port, cmd.timeoutMs, true);
        const conn = nextConn++;
        sock.on('error', () => undefined);
        conns.set(conn, { sock, buf: '' });
        reply({ id: cmd.id, ok: true, conn });
        return;
      }
      case 'echo':
        await echoOn(cmd.conn, cmd.timeoutMs);
        reply({ id: cmd.id, ok: true, ms: performance.now() - start });
        return;
      case 'close':
        conns.get(cmd.conn)?.sock.destroy();
        conns.delete(cmd.conn);
        reply({ id: cmd.id, ok: true });
        return;
      case 'http': {
        const res = await httpGet(cmd.url, cmd.timeoutMs);
        reply({ id: cmd.id, ok: true, status: res.status, body: res.body });
        return;
      }
    }
  } catch (err) {
    reply({ id: cmd.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}

Promise.all(servers).then(
  () => {
    reply({ event: 'ready' });
    const rl = readline.createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      if (line.trim() === '') return;
      let cmd: Command;
      try {
        cmd = JSON.parse(line) as Command;
      } catch {
        reply({ event: 'bad-command', line });
        return;
      }
      void handle(cmd);
    });
    rl.on('close', () => process.exit(0));
  },
  (err: unknown) => {
    reply({ event: 'error', error: String(err) });
    process.exit(1);
  },
);
