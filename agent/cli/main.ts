#!/usr/bin/env node
// felix-ts command line: run | status | inspect endpoint <name> | inspect chains | certs --dir D | demo.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Io } from './commands.js';
import { VERSION } from '../daemon/version.js';
import { loadDevTool, withDevTool } from './dev-tools.js';
import { USAGE, usageFor } from './usage.js';
// Subcommands are loaded on demand: `status` (a probe) must not pay for the daemon's modules.
const commands = (): Promise<typeof import('./commands.js')> => import('./commands.js');

export async function main(argv: readonly string[], io: Io): Promise<number> {
  if (argv[0] === '-v' || argv[0] === '--version') {
    io.out.write(`${VERSION}\n`);
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        'config-file': { type: 'string', short: 'c' },
        set: { type: 'string', multiple: true },
        host: { type: 'string' },
        port: { type: 'string' },
        json: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        live: { type: 'boolean' },
        dir: { type: 'string' },
        keep: { type: 'boolean' },
        force: { type: 'boolean' },
        'server-cn': { type: 'string' },
        'client-cn': { type: 'string' },
        days: { type: 'string' },
        expired: { type: 'boolean' },
        'no-eku': { type: 'boolean' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    const first = argv.find((a) => !a.startsWith('-'));
    io.err.write(`felix-ts: ${(e as Error).message}\n\n${usageFor(first)}`);
    return 2;
  }
  const { values: v, positionals: pos } = parsed;
  const cmd = pos[0];
  if (v.version && !v.help) {
    io.out.write(`${VERSION}\n`);
    return 0;
  }
  if (cmd === 'help') {
    io.out.write(usageFor(pos[1]));
    return 0;
  }
  if (v.help || cmd === undefined) {
    io.out.write(usageFor(cmd));
    return cmd === undefined && !v.help ? 2 : 0;
  }
  const port = v.port !== undefined ? Number(v.port) : undefined;
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    io.err.write(`felix-ts: --port must be 1..65535, got ${JSON.stringify(v.port)}\n`);
    return 2;
  }
  const target = { host: v.host, port, configFile: v['config-file'], json: v.json ?? false };
  switch (cmd) {
    case 'run': {
      const { runCommand } = await import('./run.js');
      return runCommand(io, {
        configFile: v['config-file'],
        sets: v.set ?? [],
        dryRun: v['dry-run'] ?? false,
        installProcessHandlers: true,
      });
    }
    case 'status':
      return (await commands()).statusCommand(io, { ...target, live: v.live ?? false });
    case 'inspect':
      if (pos[1] === 'endpoint' && pos[2]) return (await commands()).inspectEndpoint(io, target, pos[2]);
      if (pos[1] === 'chains') return (await commands()).inspectChains(io, target);
      io.err.write(`felix-ts: inspect needs "endpoint <name>" or "chains"\n\n${usageFor('inspect')}`);
      return 2;
    case 'trace': {
      if (!pos[1] || !pos[2] || pos.length > 4) {
        io.err.write(`felix-ts: trace needs <src> <dst> [proto/port]\n\n${usageFor('trace')}`);
        return 2;
      }
      const { traceCommand } = await import('./trace.js');
      return traceCommand(io, target, { src: pos[1], dst: pos[2], packet: pos[3] });
    }
    case 'diags': {
      const { diagsCommand } = await import('./diags.js');
      return diagsCommand(io, { ...target, dir: v.dir, sets: v.set ?? [] });
    }
    case 'certs':
      if (!v.dir) {
        io.err.write(`felix-ts: certs needs --dir <directory>\n\n${usageFor('certs')}`);
        return 2;
      }
      return withDevTool(io, async () =>
        (await commands()).certsCommand(io, {
          dir: v.dir as string,
          force: v.force ?? false,
          serverCN: v['server-cn'],
          clientCN: v['client-cn'],
          days: v.days,
          expired: v.expired ?? false,
          noEku: v['no-eku'] ?? false,
        }),
      );
    case 'demo':
      return withDevTool(io, async () => {
        const { runDemo } = await loadDevTool('demo', () => import('../../tools/demo/index.js'));
        return runDemo(io, {
          ...(v.keep ? { keep: true } : {}),
          ...(v['dry-run'] ? { dryRun: true } : {}),
        });
      });
    case 'diagnose':
      return diagnoseCommand(io, v);
    case 'version':
      io.out.write(`${VERSION}\n`);
      return 0;
    default:
      io.err.write(`felix-ts: unknown command ${JSON.stringify(cmd)}\n\n${USAGE}`);
      return 2;
  }
}

/** `felix-ts diagnose` (agent/diagnose): --timeout is per step, in seconds. */
async function diagnoseCommand(
  io: Io,
  v: { timeout?: string; 'config-file'?: string; set?: string[]; json?: boolean },
): Promise<number> {
  const secs = v.timeout !== undefined ? Number(v.timeout) : undefined;
  if (secs !== undefined && !(secs > 0 && secs <= 600)) {
    io.err.write(
      `felix-ts: --timeout must be more than 0 and at most 600 seconds, got ${JSON.stringify(v.timeout)}\n`,
    );
    return 2;
  }
  const { runDiagnose } = await import('../diagnose/index.js');
  return runDiagnose(io, {
    configFile: v['config-file'],
    sets: v.set ?? [],
    json: v.json ?? false,
    ...(secs !== undefined ? { stepTimeoutMs: Math.round(secs * 1000) } : {}),
  });
}

// Run only when executed as the program (tests import main()).
function invokedDirectly(): boolean {
  try {
    return (
      !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
    );
  } catch {
    return false;
  }
}
if (invokedDirectly()) {
  main(process.argv.slice(2), { out: process.stdout, err: process.stderr, env: process.env }).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`felix-ts: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
