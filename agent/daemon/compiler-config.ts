// FelixConfig -> the rule compiler's and the driver's settings (felix/config/config_params.go).
import { defaultCompilerConfig, type CompilerConfig } from '../../rules/compiler/index.js';
import type { FelixConfig } from '../config/index.js';

/** Throws the compiler's CompilerConfigError when a value is out of its range. */
export function compilerConfigFrom(c: FelixConfig): CompilerConfig {
  return defaultCompilerConfig({
    iptablesMarkMask: c.IptablesMarkMask,
    chainInsertMode: c.ChainInsertMode,
    defaultEndpointToHostAction: c.DefaultEndpointToHostAction,
    failsafeInboundHostPorts: c.FailsafeInboundHostPorts,
    failsafeOutboundHostPorts: c.FailsafeOutboundHostPorts,
    ipv6Support: c.Ipv6Support,
    interfacePrefixes: c.InterfacePrefix,
    iptablesFilterAllowAction: c.IptablesFilterAllowAction,
    iptablesFilterDenyAction: c.IptablesFilterDenyAction,
    maxIpsetSize: c.MaxIpsetSize,
    logPrefix: c.LogPrefix,
    logRateLimit: c.LogActionRateLimit,
    logRateLimitBurst: c.LogActionRateLimitBurst,
    vxlanPort: c.VXLANPort,
    allowVXLANPacketsFromWorkloads: c.AllowVXLANPacketsFromWorkloads,
    allowIPIPPacketsFromWorkloads: c.AllowIPIPPacketsFromWorkloads,
    disableConntrackInvalidCheck: c.DisableConntrackInvalidCheck,
    // mangle table (issue 12)
    iptablesMangleAllowAction: c.IptablesMangleAllowAction,
    // raw table (issue 12)
    workloadSourceSpoofing: c.WorkloadSourceSpoofing,
  });
}
