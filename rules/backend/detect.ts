// Choosing the iptables backend as Felix does (felix/environment/feature_detect_linux.go):
//   1. kube-proxy/kubelet marker chains in mangle via the nft binaries -> nft;
//   2. the same markers via the legacy binaries (only if the legacy tables are loaded) -> legacy;
//   3. otherwise compare rule counts of full legacy vs nft saves; legacy wins ties.
// An explicit IptablesBackend (legacy|nft) overrides detection.
import type { IpFamily } from '../model.js';
import type { CommandRunner } from './runner.js';
import { DataplaneError } from './errors.js';

export type IptablesBackend = 'legacy' | 'nft';
export type IptablesBackendSetting = IptablesBackend | 'auto';

export interface BackendBinaries {
  readonly save: string;
  readonly restore: string;
}

/** Parses the IptablesBackend config value (case-insensitive: Legacy|NFT|Auto). */
export function parseBackendSetting(value: string | undefined): IptablesBackendSetting {
  const v = (value ?? 'auto').trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'legacy' || v === 'nft') return v;
  throw new DataplaneError(
    'ERR_BACKEND_DETECT',
    `IptablesBackend must be Legacy, NFT or Auto, got ${JSON.stringify(value)}`,
  );
}

export function binariesFor(backend: IptablesBackend, family: IpFamily): BackendBinaries {
  const base = family === 4 ? 'iptables' : 'ip6tables';
  return { save: `${base}-${backend}-save`, restore: `${base}-${backend}-restore` };
}

const MARKER_RE = /KUBE-IPTABLES-HINT|KUBE-KUBELET-CANARY/;

async function hasMarkers(runner: CommandRunner, backend: IptablesBackend): Promise<boolean> {
  for (const fam of [6, 4] as const) {
    const r = await runner.run(binariesFor(backend, fam).save, ['-t', 'mangle']).catch(() => undefined);
    if (r && r.exitCode === 0 && MARKER_RE.test(r.stdout)) return true;
  }
  return false;
}

async function countRules(runner: CommandRunner, backend: IptablesBackend): Promise<number> {
  let n = 0;
  for (const fam of [4, 6] as const) {
    const r = await runner.run(binariesFor(backend, fam).save, []).catch(() => undefined);
    if (!r || r.exitCode !== 0) continue;
    for (const line of r.stdout.split('\n')) if (line.startsWith('-')) n++;
  }
  return n;
}

async function legacyTablesLoaded(runner: CommandRunner): Promise<boolean> {
  // Checked through the runner so that a netns prefix applies (these files are per netns); probing
  // only when they exist avoids autoloading the legacy modules.
  for (const f of ['/proc/net/ip_tables_names', '/proc/net/ip6_tables_names']) {
    const r = await runner.run('test', ['-e', f]).catch(() => undefined);
    if (r?.exitCode === 0) return true;
  }
  return false;
}

export interface DetectResult {
  readonly backend: IptablesBackend;
  readonly detected: IptablesBackend | undefined;
  readonly reason: string;
}

/** Detects the backend; `setting` other than auto wins (with the detected value reported). */
export async function detectBackend(
  runner: CommandRunner,
  setting: IptablesBackendSetting,
): Promise<DetectResult> {
  if (setting !== 'auto') {
    return { backend: setting, detected: undefined, reason: `IptablesBackend=${setting}` };
  }
  if (await hasMarkers(runner, 'nft')) {
    return { backend: 'nft', detected: 'nft', reason: 'kube marker chains found with iptables-nft' };
  }
  if ((await legacyTablesLoaded(runner)) && (await hasMarkers(runner, 'legacy'))) {
    return { backend: 'legacy', detected: 'legacy', reason: 'kube marker chains found with iptables-legacy' };
  }
  const legacy = await countRules(runner, 'legacy');
  const nft = await countRules(runner, 'nft');
  const backend: IptablesBackend = legacy >= nft ? 'legacy' : 'nft';
  return { backend, detected: backend, reason: `rule counts legacy=${legacy} nft=${nft}` };
}
