// A v3 FelixConfiguration resource (the JSON of projectcalico.org/v3 FelixConfiguration, as Typha sends a
// selector-scoped one) into Felix's v1 config names and string values, as
// libcalico-go/lib/backend/syncersv1/updateprocessors/felixconfigprocessor.go ExtractFelixConfigFields does
// (v3.32.1): each set spec field under its config name (the Go field name, or its confignamev1 tag), values
// stringified as configUpdateProcessor does, then `config.projectcalico.org/<Name>` annotations on top.
// Field list: api/pkg/apis/projectcalico/v3/felixconfig.go FelixConfigurationSpec (pinned by a test).
import { formatGoDurationNs, goFloat, goMillis, goSeconds, parseGoDurationNs } from './go-format.js';

/** Spec fields whose config name equals the JSON name but for case (Go's JSON field match is case-insensitive). */
const SAME_NAMES = `UseInternalDataplaneDriver DataplaneDriver DataplaneWatchdogTimeout Ipv6Support RouteRefreshInterval
InterfaceRefreshInterval IptablesRefreshInterval FeatureDetectOverride FeatureGates IpsetsRefreshInterval
MaxIpsetSize IptablesBackend XDPRefreshInterval MetadataAddr MetadataPort OpenstackRegion InterfacePrefix
InterfaceExclude ChainInsertMode DefaultEndpointToHostAction IptablesFilterAllowAction
IptablesMangleAllowAction IptablesFilterDenyAction LogPrefix LogActionRateLimit LogActionRateLimitBurst
LogFilePath LogSeverityFile LogSeverityScreen LogSeveritySys LogDebugFilenameRegex VXLANEnabled VXLANMTU
VXLANMTUV6 VXLANPort VXLANVNI AllowVXLANPacketsFromWorkloads AllowIPIPPacketsFromWorkloads
EndpointReportingEnabled EndpointStatusPathPrefix IptablesMarkMask DisableConntrackInvalidCheck
HealthEnabled HealthHost HealthPort HealthTimeoutOverrides PrometheusMetricsEnabled PrometheusMetricsHost
PrometheusMetricsPort PrometheusGoMetricsEnabled PrometheusProcessMetricsEnabled
PrometheusWireGuardMetricsEnabled PrometheusMetricsCAFile PrometheusMetricsCertFile
PrometheusMetricsKeyFile PrometheusMetricsClientAuth FailsafeInboundHostPorts FailsafeOutboundHostPorts
KubeNodePortRanges PolicySyncPathPrefix UsageReportingEnabled NATPortRange NATOutgoingAddress
NATOutgoingExclusions DeviceRouteSourceAddress DeviceRouteSourceAddressIPv6 DeviceRouteProtocol
RemoveExternalRoutes ProgramClusterRoutes IPForwarding DebugMemoryProfilePath DebugDisableLogDropping
DebugSimulateCalcGraphHangAfter DebugSimulateDataplaneHangAfter DebugSimulateDataplaneApplyDelay DebugHost
DebugPort IptablesNATOutgoingInterfaceFilter SidecarAccelerationEnabled XDPEnabled GenericXDPEnabled
NFTablesMode NftablesRefreshInterval NftablesFilterAllowAction NftablesMangleAllowAction
NftablesFilterDenyAction NftablesMarkMask BPFEnabled BPFDisableUnprivileged BPFJITHardening BPFLogLevel
BPFConntrackLogLevel BPFConntrackTimeouts BPFLogFilters BPFCTLBLogFilter BPFDataIfacePattern
BPFL3IfacePattern BPFConnectTimeLoadBalancingEnabled BPFConnectTimeLoadBalancing
BPFHostNetworkedNATWithoutCTLB BPFExternalServiceMode BPFDSROptoutCIDRs BPFExtToServiceConnmark
BPFKubeProxyIptablesCleanupEnabled BPFKubeProxyMinSyncPeriod BPFKubeProxyHealthzPort BPFPSNATPorts
BPFMapSizeNATFrontend BPFMapSizeNATBackend BPFMapSizeNATAffinity BPFMapSizeRoute BPFMapSizeConntrack
BPFMapSizePerCPUConntrack BPFMapSizeConntrackScaling BPFMapSizeConntrackCleanupQueue BPFMapSizeIPSets
BPFMapSizeIfState BPFHostConntrackBypass BPFEnforceRPF BPFPolicyDebugEnabled BPFForceTrackPacketsFromIfaces
BPFDisableGROForIfaces BPFExcludeCIDRsFromNAT BPFExportBufferSizeMB IstioAmbientMode IstioDSCPMark
CgroupV2Path FlowLogsPolicyEvaluationMode BPFRedirectToPeer BPFAttachType FlowLogsFlushInterval
FlowLogsCollectorDebugTrace FlowLogsGoldmaneServer FlowLogsLocalReporter BPFProfiling RouteSource
RouteTableRanges RouteTableRange RouteSyncDisabled IPv4NormalRoutePriority IPv4ElevatedRoutePriority
IPv6NormalRoutePriority IPv6ElevatedRoutePriority LiveMigrationRouteConvergenceTime WireguardEnabled
WireguardEnabledV6 WireguardThreadingEnabled WireguardListeningPort WireguardListeningPortV6
WireguardRoutingRulePriority WireguardInterfaceName WireguardInterfaceNameV6 WireguardMTU WireguardMTUV6
WireguardHostEncryptionEnabled AWSSrcDstCheck ServiceLoopPrevention WorkloadSourceSpoofing MTUIfacePattern
FloatingIPs WindowsManageFirewallRules GoGCThreshold GoMemoryLimitMB GoMaxProcs RequireMTUFile
BPFMaglevMaxEndpointsPerService BPFMaglevMaxServices`;

/** Spec fields whose config name differs from the JSON name (confignamev1 tags, renamed JSON fields). */
const RENAMED: Readonly<Record<string, string>> = {
  iptablesPostWriteCheckInterval: 'IptablesPostWriteCheckIntervalSecs',
  iptablesLockProbeInterval: 'IptablesLockProbeIntervalMillis',
  netlinkTimeout: 'NetlinkTimeoutSecs',
  ipipEnabled: 'IpInIpEnabled',
  ipipMTU: 'IpInIpMtu',
  reportingInterval: 'ReportingIntervalSecs',
  reportingTTL: 'ReportingTTLSecs',
  endpointReportingDelay: 'EndpointReportingDelaySecs',
  usageReportingInitialDelay: 'UsageReportingInitialDelaySecs',
  usageReportingInterval: 'UsageReportingIntervalSecs',
  externalNodesList: 'ExternalNodesCIDRList',
  bpfConntrackMode: 'BPFConntrackCleanupMode',
  wireguardKeepAlive: 'WireguardPersistentKeepAlive',
};

/** The *metav1.Duration fields (by config name); all in seconds but IptablesLockProbeIntervalMillis. */
const DURATIONS = new Set(
  `DataplaneWatchdogTimeout RouteRefreshInterval InterfaceRefreshInterval IptablesRefreshInterval
IptablesPostWriteCheckIntervalSecs IptablesLockProbeIntervalMillis IpsetsRefreshInterval XDPRefreshInterval
NetlinkTimeoutSecs ReportingIntervalSecs ReportingTTLSecs EndpointReportingDelaySecs
UsageReportingInitialDelaySecs UsageReportingIntervalSecs DebugSimulateCalcGraphHangAfter
DebugSimulateDataplaneHangAfter DebugSimulateDataplaneApplyDelay NftablesRefreshInterval
BPFKubeProxyMinSyncPeriod FlowLogsFlushInterval LiveMigrationRouteConvergenceTime
WireguardPersistentKeepAlive`.split(/\s+/),
);
const MILLISECONDS = 'IptablesLockProbeIntervalMillis';

/** Lower-cased JSON field name -> config name. */
const BY_JSON = new Map<string, string>([
  ...SAME_NAMES.split(/\s+/).map((n) => [n.toLowerCase(), n] as [string, string]),
  ...Object.entries(RENAMED).map(([j, n]) => [j.toLowerCase(), n] as [string, string]),
]);

/** The config name of a spec field ("ipipEnabled" -> "IpInIpEnabled"); undefined for nodeSelector and unknown fields. */
export function specFieldConfigName(jsonName: string): string | undefined {
  return BY_JSON.get(jsonName.toLowerCase());
}

export const ANNOTATION_CONFIG_PREFIX = 'config.projectcalico.org/';

export class FelixConfigValueError extends Error {
  readonly code = 'ERR_FELIXCONFIG_VALUE';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'FelixConfigValueError';
  }
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** fmt %v of a JSON scalar: numbers as Go prints an int (or float), bools as true/false. */
function scalar(field: string, v: Json): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : goFloat(v);
  throw new FelixConfigValueError(field, `expected a scalar, got ${JSON.stringify(v)}`);
}

function duration(field: string, v: Json): bigint {
  const ns = typeof v === 'string' ? parseGoDurationNs(v) : undefined;
  if (ns === undefined) throw new FelixConfigValueError(field, `not a Go duration: ${JSON.stringify(v)}`);
  return ns;
}

function list(field: string, v: Json): Json[] {
  if (!Array.isArray(v)) throw new FelixConfigValueError(field, `expected a list, got ${JSON.stringify(v)}`);
  return v;
}

/** protoPortSliceToString: "tcp:22,udp:[fd00::1]:53"; an empty list is "none". */
function protoPorts(field: string, v: Json): string {
  const items = list(field, v);
  if (items.length === 0) return 'none';
  return items
    .map((pp) => {
      if (!isObject(pp)) throw new FelixConfigValueError(field, 'expected {protocol, port, net}');
      const proto = scalar(field, pp.protocol ?? '').toLowerCase();
      const port = scalar(field, pp.port ?? 0);
      const net = pp.net === undefined || pp.net === null ? '' : scalar(field, pp.net);
      if (net === '') return `${proto}:${port}`;
      return net.includes(':') ? `${proto}:[${net}]:${port}` : `${proto}:${net}:${port}`;
    })
    .join(',');
}

function routeRange(field: string, v: Json): string {
  if (!isObject(v)) throw new FelixConfigValueError(field, 'expected {min, max}');
  return `${scalar(field, v.min ?? 0)}-${scalar(field, v.max ?? 0)}`;
}

/** healthTimeoutOverridesToString: "Name=1m30s,..." (Duration.String()); empty: not set. */
function healthOverrides(field: string, v: Json): string | undefined {
  const items = list(field, v);
  if (items.length === 0) return undefined;
  return items
    .map((o) => {
      if (!isObject(o)) throw new FelixConfigValueError(field, 'expected {name, timeout}');
      return `${scalar(field, o.name ?? '')}=${formatGoDurationNs(duration(field, o.timeout ?? ''))}`;
    })
    .join(',');
}

/** bpfConntrackTimeoutsToString: "<GoField>=<value>" for the set fields, in the struct's order. */
const CT_TIMEOUTS = [
  ['creationGracePeriod', 'CreationGracePeriod'],
  ['tcpSynSent', 'TCPSynSent'],
  ['tcpEstablished', 'TCPEstablished'],
  ['tcpFinsSeen', 'TCPFinsSeen'],
  ['tcpResetSeen', 'TCPResetSeen'],
  ['udpTimeout', 'UDPTimeout'],
  ['genericTimeout', 'GenericTimeout'],
  ['icmpTimeout', 'ICMPTimeout'],
] as const;

function conntrackTimeouts(field: string, v: Json): string {
  if (!isObject(v)) throw new FelixConfigValueError(field, 'expected an object');
  const parts: string[] = [];
  for (const [json, go] of CT_TIMEOUTS) {
    const x = v[json];
    if (typeof x === 'string') parts.push(`${go}=${x}`);
  }
  return parts.join(',');
}

/** One spec field's v1 string, or undefined when Felix leaves it out (unset, empty string, empty overrides). */
function fieldValue(name: string, v: Json): string | undefined {
  if (v === null) return undefined;
  switch (name) {
    case 'FailsafeInboundHostPorts':
    case 'FailsafeOutboundHostPorts':
      return protoPorts(name, v);
    case 'RouteTableRange':
      return routeRange(name, v);
    case 'RouteTableRanges':
      return list(name, v)
        .map((r) => routeRange(name, r))
        .join(',');
    case 'HealthTimeoutOverrides':
      return healthOverrides(name, v);
    case 'BPFConntrackTimeouts':
      return conntrackTimeouts(name, v);
    case 'KubeNodePortRanges':
      // *[]numorstring.Port falls to fmt %v: "[30000:32767 8080]".
      return `[${list(name, v)
        .map((p) => scalar(name, p))
        .join(' ')}]`;
  }
  if (DURATIONS.has(name)) {
    const ns = duration(name, v);
    return goFloat(name === MILLISECONDS ? goMillis(ns) : goSeconds(ns));
  }
  if (Array.isArray(v)) return v.map((x) => scalar(name, x)).join(',');
  if (isObject(v)) {
    // *map[string]string: "k=v," per entry (Go's map order is random; here the JSON order).
    return Object.entries(v)
      .map(([k, x]) => `${k}=${scalar(name, x)},`)
      .join('');
  }
  if (v === '') return undefined;
  return scalar(name, v);
}

/**
 * The config a FelixConfiguration resource carries, keyed by Felix's config names. Throws
 * FelixConfigValueError for a field whose JSON has the wrong shape (Go could not have decoded it).
 */
export function extractFelixConfigFields(resource: unknown): Record<string, string> {
  const r = isObject(resource) ? resource : {};
  const spec = isObject(r.spec) ? r.spec : {};
  const out: Record<string, string> = {};
  for (const [json, v] of Object.entries(spec)) {
    const name = specFieldConfigName(json);
    if (name === undefined) continue; // nodeSelector (confignamev1:"-"), or a field Go would ignore
    const s = fieldValue(name, v);
    if (s !== undefined) out[name] = s;
  }
  const meta = isObject(r.metadata) ? r.metadata : {};
  const annotations = isObject(meta.annotations) ? meta.annotations : {};
  for (const [k, v] of Object.entries(annotations)) {
    if (k.startsWith(ANNOTATION_CONFIG_PREFIX) && typeof v === 'string')
      out[k.slice(ANNOTATION_CONFIG_PREFIX.length)] = v;
  }
  return out;
}
