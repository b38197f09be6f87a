#!/usr/bin/env node
// CLI wrapper of the test Typha server, for e2e tests that run it in another network namespace and
// for contributors poking at a client by hand. `--help` prints USAGE below (options, the JSON-lines
// commands read on stdin, the events written on stdout, the exit codes).
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { SyncStatus } from '../../syncer-client/api.js';
import { TyphaServer, type TyphaServerOptions } from './typha-server.js';

export const USAGE = `Usage: node dist/tools/typha-server/cli.js [options]

A Typha-protocol test server (not for production). It serves the key/value pairs it is given on
stdin to every Felix/felix-ts client that connects, and reports what happens on stdout.

Options:
  --listen HOST:PORT            Address to listen on (default 127.0.0.1:0, a free port; [::1]:N for IPv6)
  --ca F --cert F --key F       Serve TLS with this server cert/key and require a client cert signed
                                by the CA in F (all three together; see felix-ts certs)
  --client-cn CN                With TLS: accept only client certs with this CommonName
  --client-uri-san URI          With TLS: accept only client certs with this URI SAN
  --ping-interval-ms N          Interval of the server's pings (default the server's)
  --pong-timeout-ms N           Drop a client that does not answer a ping within N ms
  --initial-status S            in-sync (default), resync or wait-for-ready: the status clients get
                                after their snapshot (wait-for-ready: none until a status command)
  --keep-running                Keep serving when stdin closes, until SIGTERM or SIGINT
  -h, --help                    This text

Commands on stdin, one JSON object per line:
  {"op":"put","key":K,"value":V}    set K to the raw value string V (sent to every client)
  {"op":"delete","key":K}           delete K
  {"op":"status","status":S}        S is in-sync, resync or wait-for-ready
  {"op":"drop"}                     close every client connection
  {"op":"raw","base64":B}           write these bytes to every client, then close it
  {"op":"exit"}                     stop the server and exit 0

Events on stdout, one JSON object per line:
  {"event":"listening","port":N}    once, when ready for clients
  {"event":"ok","op":OP}            after each command
  {"event":"error","message":M}     a bad command (the server keeps running)
  {"event":"client","hostname":H}   a client's hello
  {"event":"disconnect","reason":R} a client went away
  {"event":"tls-error","reason":R}  a TLS handshake or client-cert check failed

Exit codes (the reason is also written on stderr):
  0  {"op":"exit"} (or --help)     2  bad arguments            3  could not start (TLS files, listen)
  4  stdin closed (without --keep-running)                     130 SIGINT    143 SIGTERM

Example:
  printf '%s\\n' '{"op":"put","key":"/calico/v1/config/LogSeverityScreen","value":"Info"}' |
    node dist/tools/typha-server/cli.js --listen 127.0.0.1:5473 --keep-running
`;

/** Exit codes; each exit also writes its reason on stderr. */
export const EXIT = { ok: 0, usage: 2, start: 3, stdinClosed: 4, sigint: 130, sigterm: 143 } as const;

interface CliArgs {
  readonly help: boolean;
  readonly keepRunning: boolean;
  readonly server: Omit<TyphaServerOptions, 'tls'>;
  readonly tls?: { ca: string; cert: string; key: string; clientCN?: string; clientURISAN?: string };
}

const VALUE_OPTIONS = new Set([
  'listen',
  'ca',
  'cert',
  'key',
  'client-cn',
  'client-uri-san',
  'ping-interval-ms',
  'pong-timeout-ms',
  'initial-status',
]);

function out(obj: object): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function say(msg: string): void {
  process.stderr.write(`typha test server: ${msg}\n`);
}

function parseArgs(argv: readonly string[]): CliArgs {
  const args = new Map<string, string>();
  let help = false;
  let keepRunning = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') help = true;
    else if (a === '--keep-running') keepRunning = true;
    else if (!a.startsWith('--')) throw new Error(`bad argument ${JSON.stringify(a)}`);
    else if (!VALUE_OPTIONS.has(a.slice(2))) throw new Error(`unknown option ${a}`);
    else if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
    else args.set(a.slice(2), argv[++i]!);
  }
  const listen = args.get('listen') ?? '127.0.0.1:0';
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(listen);
  if (m === null || Number(m[2]) > 65535)
    throw new Error(`--listen must be HOST:PORT, got ${JSON.stringify(listen)}`);
  const num = (name: string): number | undefined => {
    const v = args.get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n))
      throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
    return n;
  };
  const status = args.get('initial-status');
  if (status !== undefined && !isStatus(status))
    throw new Error(
      `--initial-status must be in-sync, resync or wait-for-ready, got ${JSON.stringify(status)}`,
    );
  const [ca, cert, key] = ['ca', 'cert', 'key'].map((k) => args.get(k));
  const clientCN = args.get('client-cn');
  const clientURISAN = args.get('client-uri-san');
  let tls: CliArgs['tls'];
  if (ca !== undefined || cert !== undefined || key !== undefined) {
    if (ca === undefined || cert === undefined || key === undefined)
      throw new Error('--ca, --cert and --key go together');
    tls = {
      ca,
      cert,
      key,
      ...(clientCN !== undefined ? { clientCN } : {}),
      ...(clientURISAN !== undefined ? { clientURISAN } : {}),
    };
  } else if (clientCN !== undefined || clientURISAN !== undefined) {
    throw new Error('--client-cn and --client-uri-san need TLS (--ca, --cert and --key)');
  }
  const pingIntervalMs = num('ping-interval-ms');
  const pongTimeoutMs = num('pong-timeout-ms');
  return {
    help,
    keepRunning,
    server: {
      host: m[1]!,
      port: Number(m[2]),
      ...(pingIntervalMs !== undefined ? { pingIntervalMs } : {}),
      ...(pongTimeoutMs !== undefined ? { pongTimeoutMs } : {}),
      ...(status !== undefined ? { initialStatus: status as SyncStatus } : {}),
    },
    ...(tls !== undefined ? { tls } : {}),
  };
}

/** Reads the PEM files named by --ca/--cert/--key; an unreadable one names its option. */
function readTls(tls: NonNullable<CliArgs['tls']>): NonNullable<TyphaServerOptions['tls']> {
  const read = (opt: string, file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`--${opt} ${file}: ${(e as Error).message}`);
    }
  };
  return { ...tls, ca: read('ca', tls.ca), cert: read('cert', tls.cert), key: read('key', tls.key) };
}

function isStatus(s: unknown): s is SyncStatus {
  return s === 'in-sync' || s === 'resync' || s === 'wait-for-ready';
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string') throw new Error(`${name} must be a string`);
  return v;
}

/** Applies one stdin command; returns true for {"op":"exit"}. Throws on a bad command. */
function apply(server: TyphaServer, line: string): boolean {
  const parsed: unknown = JSON.parse(line);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('command must be a JSON object');
  const cmd = parsed as Record<string, unknown>;
  switch (cmd['op']) {
    case 'put':
      server.put(str(cmd['key'], 'key'), str(cmd['value'], 'value'));
      break;
    case 'delete':
      server.delete(str(cmd['key'], 'key'));
      break;
    case 'status':
      if (!isStatus(cmd['status'])) throw new Error('status must be in-sync, resync or wait-for-ready');
      server.setStatus(cmd['status']);
      break;
    case 'drop':
      server.dropConnections();
      break;
    case 'raw':
      server.sendRawAndClose(Buffer.from(str(cmd['base64'], 'base64'), 'base64'));
      break;
    case 'exit':
      out({ event: 'ok', op: 'exit' });
      return true;
    default:
      throw new Error(`unknown op ${JSON.stringify(cmd['op'])}`);
  }
  out({ event: 'ok', op: cmd['op'] });
  return false;
}

async function main(): Promise<void> {
  let args: CliArgs;
  let opts: TyphaServerOptions;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    say(`${(err as Error).message} (exit ${EXIT.usage}; --help for usage)`);
    process.exitCode = EXIT.usage;
    return;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  const server = (() => {
    try {
      opts = { ...args.server, ...(args.tls !== undefined ? { tls: readTls(args.tls) } : {}) };
      return new TyphaServer(opts);
    } catch (err) {
      say(`cannot start: ${(err as Error).message} (exit ${EXIT.start})`);
      process.exit(EXIT.start);
    }
  })();
  server.on('hello', (hello) => out({ event: 'client', hostname: hello.hostname }));
  server.on('disconnect', (reason) => out({ event: 'disconnect', reason }));
  server.on('tls-error', (reason) => out({ event: 'tls-error', reason }));
  let port: number;
  try {
    port = await server.start();
  } catch (err) {
    say(
      `cannot listen on ${args.server.host}:${args.server.port}: ${(err as Error).message} (exit ${EXIT.start})`,
    );
    process.exit(EXIT.start);
  }
  out({ event: 'listening', port });

  let exiting = false;
  const exit = async (code: number, reason: string): Promise<void> => {
    if (exiting) return;
    exiting = true;
    say(`${reason}; stopping (exit ${code})`);
    await server.stop();
    process.exit(code);
  };
  process.on('SIGTERM', () => void exit(EXIT.sigterm, 'SIGTERM'));
  process.on('SIGINT', () => void exit(EXIT.sigint, 'SIGINT'));

  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() === '' || exiting) return;
    try {
      if (apply(server, line)) void exit(EXIT.ok, 'exit command');
    } catch (err) {
      out({ event: 'error', message: (err as Error).message });
    }
  });
  rl.on('close', () => {
    if (exiting) return;
    if (args.keepRunning) say('stdin closed; --keep-running: serving until SIGTERM or SIGINT');
    else void exit(EXIT.stdinClosed, 'stdin closed (use --keep-running to keep serving)');
  });
}

void main();
