// Validation of the nat-table part of CompilerConfig (config.ts): every value that reaches restore text
// is checked here, so a bad NATOutgoingAddress or interface filter is refused with the field named.
import { isIPv4 } from 'node:net';
import type { CompilerConfig } from './config.js';

/** Felix's iface-param syntax (felix/config/config_params.go IfaceParamRegexp); "+" is iptables' wildcard. */
export const IFACE_PARAM_RE = /^[a-zA-Z0-9:._+-]{1,15}$/;

export function natConfigProblems(cfg: CompilerConfig): string[] {
  const problems: string[] = [];
  if (cfg.natOutgoingAddress !== '' && !isIPv4(cfg.natOutgoingAddress))
    problems.push(
      `natOutgoingAddress must be an IPv4 address, got ${JSON.stringify(cfg.natOutgoingAddress)}`,
    );
  const { min, max } = cfg.natPortRange;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max > 65535 || min > max)
    problems.push(`natPortRange must be n:m with 0 <= n <= m <= 65535, got ${String(min)}:${String(max)}`);
  if (cfg.natOutgoingExclusions !== 'IPPoolsOnly' && cfg.natOutgoingExclusions !== 'IPPoolsAndHostIPs')
    problems.push(`natOutgoingExclusions must be IPPoolsOnly or IPPoolsAndHostIPs`);
  if (cfg.natOutgoingInterfaceFilter !== '' && !IFACE_PARAM_RE.test(cfg.natOutgoingInterfaceFilter))
    problems.push(
      `natOutgoingInterfaceFilter must match ${IFACE_PARAM_RE.source}, got ${JSON.stringify(cfg.natOutgoingInterfaceFilter)}`,
    );
  for (const fam of ['v4', 'v6'] as const)
    for (const i of cfg.tunnelMasqInterfaces[fam])
      if (!IFACE_PARAM_RE.test(i))
        problems.push(`tunnelMasqInterfaces.${fam}: bad interface ${JSON.stringify(i)}`);
  for (const k of ['wireguardInterfaceName', 'wireguardInterfaceNameV6'] as const)
    if (!IFACE_PARAM_RE.test(cfg[k])) problems.push(`${k} must match ${IFACE_PARAM_RE.source}`);
  return problems;
}
