// `felix-ts diags`: one .tar.gz with what `calicoctl node diags` collects that applies to felix-ts
// (calicoctl/calicoctl/commands/node/diags.go): the four iptables tables of both families with
// counters from the backend in use (detected as the agent does, rules/backend/detect.ts), the IP
// sets, the readiness and liveness JSON, `inspect chains`, the effective configuration with the
// source of every value, the last log lines and the versions of iptables, ipset and the kernel.
// Secrets are never collected: key and certificate files are not read (only their paths appear in
// the configuration), and any PEM private key block in a collected text is replaced. What could not
// be collected is listed in the archive's README.txt; the command fails only when the archive
// cannot be written.
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
import { hostname as osHostname, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  ConfigError,
  effectiveConfig,
  formatEffectiveConfig,
  loadConfig,
  type EffectiveParam,
  type FelixConfig,
} from '../config/index.js';
import {
  binariesFor,
  detectBackend,
  ExecaRunner,
  parseBackendSetting,
  type CommandRunner,
} from '../../rules/backend/index.js';
import { VERSION } from '../daemon/version.js';
import { getJson, healthTarget, inspectChains, type Io, type Target } from './commands.js';
import { baseUrl, httpGet } from './http.js';
import { tarGz, type TarEntry } from './tar.js';

export interface DiagsOptions extends Target {
  /** Directory to write the archive into (default: the OS temp directory). */
  readonly dir?: string | undefined;
  readonly sets?: readonly string[];
  /** Injected by tests. */
  readonly runner?: CommandRunner;
  readonly now?: Date;
}

/** Lines of the log file kept (its end). */
export const LOG_TAIL_LINES = 5000;
const LOG_TAIL_BYTES = 8 * 1024 * 1024;
const TABLES = ['filter', 'raw', 'mangle', 'nat'] as const;

const PEM_PRIVATE = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(-----END \1PRIVATE KEY-----|$)/g;

/** Replaces every PEM private key block (also a truncated one at the end of the text). */
export function redactPrivateKeys(text: string): string {
  return text.replace(PEM_PRIVATE, '[PRIVATE KEY REMOVED by felix-ts diags]');
}

class Collector {
  readonly entries: TarEntry[] = [];
  readonly problems: string[] = [];
  constructor(private readonly top: string) {}

  add(name: string, text: string): void {
    this.entries.push({ name: `${this.top}/${name}`, data: redactPrivateKeys(text) });
  }

  async cmd(
    runner: CommandRunner,
    name: string,
    file: string,
    args: readonly string[],
  ): Promise<string | undefined> {
    try {
      const r = await runner.run(file, args);
      if (r.exitCode !== 0) {
        this.problems.push(`${name}: ${file} ${args.join(' ')} exited ${r.exitCode}: ${r.stderr.trim()}`);
        if (r.stdout === '') return undefined;
      }
      this.add(name, r.stdout + (r.stderr ? `\n# stderr:\n${r.stderr}` : ''));
      return r.stdout;
    } catch (e) {
      this.problems.push(`${name}: ${file} ${args.join(' ')}: ${(e as Error).message}`);
      return undefined;
    }
  }
}

/** The last `lines` lines of a file, reading at most LOG_TAIL_BYTES from its end. */
function tailFile(path: string, lines: number): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, LOG_TAIL_BYTES);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const all = buf.toString('utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines).join('\n') + '\n';
  } finally {
    closeSync(fd);
  }
}

function bufferIo(env: Io['env']): { io: Io; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const err = new PassThrough();
  err.on('data', (c: Buffer) => chunks.push(c));
  return { io: { out, err, env }, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function collectTables(
  c: Collector,
  runner: CommandRunner,
  cfg: FelixConfig | undefined,
): Promise<void> {
  let backend: 'legacy' | 'nft';
  try {
    const d = await detectBackend(runner, parseBackendSetting(cfg?.IptablesBackend));
    backend = d.backend;
    c.add('iptables/backend.txt', `backend=${d.backend} (${d.reason})\n`);
  } catch (e) {
    c.problems.push(`backend detection: ${(e as Error).message}; collected the legacy tables`);
    backend = 'legacy';
  }
  for (const fam of [4, 6] as const) {
    for (const t of TABLES)
      await c.cmd(runner, `iptables/ipv${fam}-${t}.txt`, binariesFor(backend, fam).save, ['-c', '-t', t]);
  }
  await c.cmd(runner, 'ipset/list.txt', 'ipset', ['list']);
  await c.cmd(runner, 'ipset/save.txt', 'ipset', ['save']);
}

async function collectAgent(
  c: Collector,
  io: Io,
  t: Target,
  local: EffectiveParam[] | undefined,
): Promise<void> {
  const { host, port } = healthTarget(io, t);
  for (const probe of ['readiness', 'liveness']) {
    try {
      const r = await httpGet(`${baseUrl(host, port)}/${probe}?format=json`);
      c.add(`agent/${probe}.json`, r.body.endsWith('\n') ? r.body : r.body + '\n');
    } catch (e) {
      c.problems.push(`${probe}: ${(e as Error).message}`);
    }
  }
  const chains = bufferIo(io.env);
  if ((await inspectChains(chains.io, t)) !== 0) c.problems.push('inspect chains: the agent did not answer');
  c.add('agent/inspect-chains.txt', chains.text());
  const cfg = await getJson(bufferIo(io.env).io, t, '/debug/config');
  const rows = cfg?.status === 200 ? (cfg.json as { params: EffectiveParam[] }).params : undefined;
  if (rows) c.add('config/effective.txt', formatEffectiveConfig(rows));
  else if (local) {
    c.add(
      'config/effective.txt',
      '# the agent could not be asked: local sources only (no datastore values)\n' +
        formatEffectiveConfig(local),
    );
    c.problems.push(
      'effective config: the agent did not answer /debug/config; config/effective.txt has the local sources only',
    );
  }
}

async function collectVersions(c: Collector, runner: CommandRunner): Promise<void> {
  const lines = [`felix-ts ${VERSION}`, `node ${process.version}`, `kernel release ${release()}`];
  for (const [file, args] of [
    ['uname', ['-a']],
    ['iptables-legacy', ['--version']],
    ['iptables-nft', ['--version']],
    ['ipset', ['--version']],
  ] as const) {
    try {
      const r = await runner.run(file, args);
      lines.push(`${file} ${args.join(' ')}: ${(r.stdout || r.stderr).trim()}`);
    } catch (e) {
      lines.push(`${file} ${args.join(' ')}: not available (${(e as Error).message})`);
    }
  }
  c.add('versions.txt', lines.join('\n') + '\n');
}

function readme(host: string, when: Date, problems: readonly string[]): string {
  return `felix-ts diagnostics from ${host}, ${when.toISOString()} (felix-ts ${VERSION})

iptables/     iptables-save -c / ip6tables-save -c of the backend in use, per table (filter, raw,
              mangle, nat), with packet and byte counters; backend.txt says how it was chosen
ipset/        ipset list and ipset save
agent/        readiness.json and liveness.json (the health server), inspect-chains.txt
              (felix-ts inspect chains: every chain with the policy each rule came from)
config/       effective.txt: every parameter's value and where it came from (flag, env, file
              with line, datastore, default)
logs/         the last ${LOG_TAIL_LINES} lines of LogFilePath (when one is configured)
versions.txt  felix-ts, Node.js, uname -a, iptables-legacy/-nft, ipset

Left out on purpose: the contents of TyphaCAFile, TyphaCertFile, TyphaKeyFile and any other key or
certificate file (only their paths appear in config/effective.txt); the process environment (only
the FELIX_* values, as parameters); parameters marked sensitive (shown as [redacted]). Any PEM
private key block found in a collected text was replaced by "[PRIVATE KEY REMOVED by felix-ts diags]".

${problems.length === 0 ? 'Everything was collected.' : `Not collected (${problems.length}):\n${problems.map((p) => `- ${p}`).join('\n')}`}
`;
}

export async function diagsCommand(io: Io, opts: DiagsOptions): Promise<number> {
  const now = opts.now ?? new Date();
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const c = new Collector(`felix-ts-diags-${stamp}`);
  let cfg: FelixConfig | undefined;
  let local: EffectiveParam[] | undefined;
  try {
    const loaded = loadConfig(
      { env: io.env, configFile: opts.configFile, sets: opts.sets ?? [] },
      { checkFiles: false },
    );
    cfg = loaded.config;
    local = effectiveConfig(loaded);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    c.problems.push(`local configuration: ${e.message}`);
  }
  const runner = opts.runner ?? new ExecaRunner();
  await collectTables(c, runner, cfg);
  await collectAgent(c, io, opts, local);
  const logPath = cfg?.LogFilePath ?? '';
  if (logPath !== '' && logPath.toLowerCase() !== 'none') {
    try {
      c.add('logs/felix.log', tailFile(logPath, LOG_TAIL_LINES));
    } catch (e) {
      c.problems.push(`log file ${logPath}: ${(e as Error).message}`);
    }
  } else c.problems.push('logs: LogFilePath is none (logs go to the screen/journal only)');
  await collectVersions(c, runner);
  const host = cfg?.FelixHostname || osHostname();
  c.entries.unshift({ name: `felix-ts-diags-${stamp}/README.txt`, data: readme(host, now, c.problems) });
  const file = join(
    opts.dir ?? tmpdir(),
    `felix-ts-diags-${host.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp}.tar.gz`,
  );
  try {
    writeFileSync(file, tarGz(c.entries, Math.floor(now.getTime() / 1000)), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    io.err.write(`felix-ts diags: cannot write ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  io.out.write(`Diagnostics written to ${file} (${c.entries.length} files`);
  io.out.write(
    c.problems.length > 0 ? `; ${c.problems.length} items not collected, see README.txt)\n` : ')\n',
  );
  return 0;
}
