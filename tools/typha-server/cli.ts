#!/usr/bin/env node
// CLI wrapper of the test Typha server, for e2e tests that run it in another network namespace.
//
//   node dist/tools/typha-server/cli.js --listen HOST:PORT [--ca F --cert F --key F]
//        [--client-cn CN] [--client-uri-san URI] [--ping-interval-ms N] [--pong-timeout-ms N]
//        [--initial-status in-sync|resync|wait-for-ready]
//
// The status starts at in-sync unless --initial-status says otherwise (clients then get their snapshot
// followed by MsgSyncStatus(in-sync) at once). With --initial-status wait-for-ready clients get the
// snapshot but no status until a {"op":"status"} command.
//
// stdin, one JSON object per line:
//   {"op":"put","key":K,"value":V}   V is the raw value string
//   {"op":"delete","key":K}
//   {"op":"status","status":"in-sync"|"resync"|"wait-for-ready"}
//   {"op":"drop"}                     close every client connection
//   {"op":"raw","base64":B}           write these bytes to every client, then close it
//   {"op":"exit"}
// stdout, one JSON object per line:
//   {"event":"listening","port":N}, {"event":"ok","op":OP} after each command,
//   {"event":"error","message":M} for a bad command (the server keeps running),
//   {"event":"client","hostname":H}, {"event":"disconnect","reason":R}
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { SyncStatus } from '../../syncer-client/api.js';
import { TyphaServer, type TyphaServerOptions } from './typha-server.js';

function out(obj: object): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function parseArgs(argv: readonly string[]): TyphaServerOptions {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--') || i + 1 >= argv.length) throw new Error(`bad argument ${JSON.stringify(a)}`);
    args.set(a.slice(2), argv[++i]!);
  }
  const known = new Set([
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
  for (const k of args.keys()) if (!known.has(k)) throw new Error(`unknown option --${k}`);
  const listen = args.get('listen') ?? '127.0.0.1:0';
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(listen);
  if (m === null) throw new Error(`--listen must be HOST:PORT, got ${JSON.stringify(listen)}`);
  const num = (name: string): number | undefined => {
    const v = args.get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
    return n;
  };
  const status = args.get('initial-status');
  if (status !== undefined && !isStatus(status))
    throw new Error(`--initial-status must be in-sync, resync or wait-for-ready`);
  const tlsArgs = ['ca', 'cert', 'key'].map((k) => args.get(k));
  let tls: TyphaServerOptions['tls'];
  if (tlsArgs.some((x) => x !== undefined)) {
    if (tlsArgs.some((x) => x === undefined)) throw new Error('--ca, --cert and --key go together');
    const clientCN = args.get('client-cn');
    const clientURISAN = args.get('client-uri-san');
    tls = {
      ca: readFileSync(tlsArgs[0]!, 'utf8'),
      cert: readFileSync(tlsArgs[1]!, 'utf8'),
      key: readFileSync(tlsArgs[2]!, 'utf8'),
      ...(clientCN !== undefined ? { clientCN } : {}),
      ...(clientURISAN !== undefined ? { clientURISAN } : {}),
    };
  }
  const pingIntervalMs = num('ping-interval-ms');
  const pongTimeoutMs = num('pong-timeout-ms');
  return {
    host: m[1]!,
    port: Number(m[2]),
    ...(tls !== undefined ? { tls } : {}),
    ...(pingIntervalMs !== undefined ? { pingIntervalMs } : {}),
    ...(pongTimeoutMs !== undefined ? { pongTimeoutMs } : {}),
    ...(status !== undefined ? { initialStatus: status as SyncStatus } : {}),
  };
}

function isStatus(s: unknown): s is SyncStatus {
  return s === 'in-sync' || s === 'resync' || s === 'wait-for-ready';
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string') throw new Error(`${name} must be a string`);
  return v;
}

async function main(): Promise<void> {
  let opts: TyphaServerOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`typha test server: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const server = new TyphaServer(opts);
  server.on('hello', (hello) => out({ event: 'client', hostname: hello.hostname }));
  server.on('disconnect', (reason) => out({ event: 'disconnect', reason }));
  server.on('tls-error', (reason) => out({ event: 'tls-error', reason }));
  const port = await server.start();
  out({ event: 'listening', port });

  const exit = async (): Promise<void> => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void exit());
  process.on('SIGINT', () => void exit());

  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    let cmd: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('command must be a JSON object');
      cmd = parsed as Record<string, unknown>;
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
          void exit();
          return;
        default:
          throw new Error(`unknown op ${JSON.stringify(cmd['op'])}`);
      }
      out({ event: 'ok', op: cmd['op'] });
    } catch (err) {
      out({ event: 'error', message: (err as Error).message });
    }
  });
  rl.on('close', () => void exit());
}

void main();
