// Dataplane feature detection as Felix does it (felix/environment/feature_detect_linux.go,
// versionparse.go): the iptables version from `iptables --version` of the chosen backend and the kernel
// version from /proc/version decide whether SNAT and MASQUERADE get --random-fully. FeatureDetectOverride
// ("MASQFullyRandom=false,SNATFullyRandom=true") wins over detection. Parsing is pure; detectFeatures()
// is the I/O.
import { readFile } from 'node:fs/promises';
import type { IptablesBackend } from './detect.js';
import type { CommandRunner } from './runner.js';

export interface DataplaneFeatures {
  /** SNAT --random-fully: iptables >= 1.6.0 and kernel >= 3.14. */
  readonly snatFullyRandom: boolean;
  /** MASQUERADE --random-fully: iptables >= 1.6.2 and kernel >= 3.14. */
  readonly masqFullyRandom: boolean;
}

/** A version as a list of numbers: "1.8.9" -> [1, 8, 9]; "5.10.0-35" -> [5, 10, 0, 35]. */
export type Version = readonly number[];

/** Felix's fall-backs when a version cannot be read: "old, with no optional features". */
export const FALLBACK_IPTABLES: Version = [1, 4, 7];
export const FALLBACK_KERNEL: Version = [3, 10, 0];

const IPT_RE = /v(\d+\.\d+\.\d+)/;
const KERNEL_RE = /Linux version (\d+\.\d+\.\d+(?:-\d+)?)/;

function split(v: string): Version {
  return v.split(/[.-]/).map((p) => Number(p));
}

/** Felix's Version.Compare: element by element; a missing element counts as 0. */
export function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** `iptables --version` output -> version, or undefined when it does not parse. */
export function parseIptablesVersion(out: string): Version | undefined {
  const m = IPT_RE.exec(out);
  return m?.[1] ? split(m[1]) : undefined;
}

/** /proc/version -> kernel version, or undefined. */
export function parseKernelVersion(procVersion: string): Version | undefined {
  const m = KERNEL_RE.exec(procVersion);
  return m?.[1] ? split(m[1]) : undefined;
}

/** The feature names FeatureDetectOverride may set that felix-ts acts on (Felix's Features fields). */
export const OVERRIDABLE = {
  SNATFullyRandom: 'snatFullyRandom',
  MASQFullyRandom: 'masqFullyRandom',
} as const;

export interface FeatureOverrideNotice {
  readonly flag: string;
  readonly value: string;
  /** Felix's lines: "Overriding feature detection flag", "…; ignoring". */
  readonly message: string;
}

/** Features from the two versions, then the overrides applied (felix refreshFeaturesLockHeld). */
export function computeFeatures(
  iptables: Version,
  kernel: Version,
  overrides: Readonly<Record<string, string>> = {},
): { features: DataplaneFeatures; notices: FeatureOverrideNotice[] } {
  const kernelOk = compareVersions(kernel, [3, 14, 0]) >= 0;
  const f: { -readonly [K in keyof DataplaneFeatures]: boolean } = {
    snatFullyRandom: compareVersions(iptables, [1, 6, 0]) >= 0 && kernelOk,
    masqFullyRandom: compareVersions(iptables, [1, 6, 2]) >= 0 && kernelOk,
  };
  const notices: FeatureOverrideNotice[] = [];
  for (const [flag, value] of Object.entries(overrides)) {
    const b = parseGoBool(value);
    if (b === undefined) {
      notices.push({
        flag,
        value,
        message: 'Failed to parse value for feature detection override; ignoring',
      });
      continue;
    }
    const field = (OVERRIDABLE as Record<string, keyof DataplaneFeatures | undefined>)[flag];
    if (field === undefined) {
      // Felix's other flags (RestoreSupportsLock, ChecksumOffloadBroken, …) steer code felix-ts does not have.
      notices.push({ flag, value, message: 'Unknown feature detection flag; ignoring' });
      continue;
    }
    f[field] = b;
    notices.push({ flag, value, message: 'Overriding feature detection flag' });
  }
  return { features: f, notices };
}

/** Go's strconv.ParseBool. */
function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

export interface DetectedFeatures {
  readonly features: DataplaneFeatures;
  readonly iptablesVersion: string;
  readonly kernelVersion: string;
  /** Why a fall-back version was used, if one was. */
  readonly problems: readonly string[];
  readonly notices: readonly FeatureOverrideNotice[];
}

/** Runs `iptables-<backend> --version` and reads /proc/version; never throws. */
export async function detectFeatures(
  runner: CommandRunner,
  backend: IptablesBackend,
  overrides: Readonly<Record<string, string>> = {},
  readProcVersion: () => Promise<string> = () => readFile('/proc/version', 'utf8'),
): Promise<DetectedFeatures> {
  const problems: string[] = [];
  let ipt: Version | undefined;
  const r = await runner.run(`iptables-${backend}`, ['--version']).catch((e: unknown) => {
    problems.push(
      `Failed to get iptables version, assuming old version with no optional features: ${String(e)}`,
    );
    return undefined;
  });
  if (r) {
    ipt = r.exitCode === 0 ? parseIptablesVersion(r.stdout) : undefined;
    if (!ipt)
      problems.push(
        `Failed to parse iptables version, assuming old version with no optional features: ${JSON.stringify(r.stdout.trim())}`,
      );
  }
  let ker: Version | undefined;
  try {
    ker = parseKernelVersion(await readProcVersion());
    if (!ker) problems.push('Failed to get kernel version, assuming old version with no optional features');
  } catch (e) {
    problems.push(
      `Failed to get kernel version, assuming old version with no optional features: ${String(e)}`,
    );
  }
  const iptV = ipt ?? FALLBACK_IPTABLES;
  const kerV = ker ?? FALLBACK_KERNEL;
  const { features, notices } = computeFeatures(iptV, kerV, overrides);
  return { features, iptablesVersion: iptV.join('.'), kernelVersion: kerV.join('.'), problems, notices };
}

/** detectFeatures, with its problems, notices and result logged as Felix logs them. */
export async function detectAndLogFeatures(
  runner: CommandRunner,
  backend: IptablesBackend,
  overrides: Readonly<Record<string, string>>,
  log: {
    info(msg: string, meta?: Record<string, unknown>): void;
    warn(msg: string, meta?: Record<string, unknown>): void;
  },
): Promise<DetectedFeatures['features']> {
  const d = await detectFeatures(runner, backend, overrides);
  for (const p of d.problems) log.warn(p);
  for (const n of d.notices) log.info(n.message, { flag: n.flag, value: n.value });
  log.info('Updating detected iptables features', {
    features: d.features,
    kernelVersion: d.kernelVersion,
    iptablesVersion: d.iptablesVersion,
  });
  return d.features;
}
