// The parameter table: Felix's names and defaults (felix/config/config_params.go).
// Each entry: a zod value schema (string -> typed value), the default as Felix writes it,
// `local` (never taken from the datastore, felix/config/config_params.go), and `hot` (a change needs no restart, felix/daemon/daemon.go).
import os from 'node:os';
import type { z } from 'zod';
import { DEFAULT_FAILSAFE_INBOUND, DEFAULT_FAILSAFE_OUTBOUND } from '../../rules/compiler/config.js';
import {
  bool,
  durationMap,
  formatProtoPorts,
  hostPort,
  int,
  markMask,
  millis,
  oneOf,
  port,
  portRangeList,
  protoPortList,
  seconds,
  str,
  strList,
  type ValueSchema,
} from './values.js';
import { NAT_PARAMS } from './params-nat.js';
import { OVERLAY_PARAMS } from './params-overlay.js';
import { DEBUG_PARAMS } from './params-debug.js';

export interface ParamDef<T> {
  readonly schema: ValueSchema<T>;
  /** Default, in the same string syntax as env/file values; a function for run-time defaults. */
  readonly default: string | (() => string);
  /** Local-only: accepted from env, file and flags only (felix/config/config_params.go). */
  readonly local?: boolean;
  /** Changing it at run time needs no restart (Felix's no-restart set, felix/daemon/daemon.go). */
  readonly hot?: boolean;
  /** Redacted in logs. */
  readonly sensitive?: boolean;
  /**
   * Accepted (parsed and validated) for compatibility, but nothing in felix-ts acts on it: the
   * reason why. Such parameters are marked in docs/configuration.md, and a non-default value is
   * named in one warning at start (test/unit/agent/config checks that every other one is read).
   */
  readonly noEffect?: string;
  readonly doc: string;
}

function def<T>(
  schema: ValueSchema<T>,
  dflt: ParamDef<T>['default'],
  doc: string,
  extra: Partial<ParamDef<T>> = {},
): ParamDef<T> {
  return { schema, default: dflt, doc, ...extra };
}

const local = { local: true } as const;
const CLUSTER_INFO = 'informational; felix-ts does no usage reporting';
const noEffect = (reason: string): { readonly noEffect: string } => ({ noEffect: reason });

export const PARAMS = {
  // felix/config/config_params.go Typha connection (all local-only).
  DatastoreType: def(oneOf(['kubernetes', 'etcdv3']), 'etcdv3', 'Datastore behind Typha.', {
    ...local,
    ...noEffect('felix-ts only talks to Typha'),
  }),
  FelixHostname: def(
    str({ pattern: /^[a-zA-Z0-9_.-]+$/, patternDesc: '^[a-zA-Z0-9_.-]+$' }),
    () => os.hostname(),
    'Node identity towards Typha; defaults to the OS hostname.',
    local,
  ),
  TyphaAddr: def(
    hostPort(),
    'none',
    'host:port of Typha (or a comma-separated list); overrides discovery.',
    local,
  ),
  TyphaK8sServiceName: def(str(), 'none', 'Typha Service name: enables EndpointSlice discovery.', local),
  TyphaK8sNamespace: def(str(), 'kube-system', 'Namespace of the Typha Service.', local),
  TyphaReadTimeout: def(
    seconds({ min: 1 }),
    '30',
    'Seconds without any data (pings included) before the connection counts as dead.',
    local,
  ),
  TyphaWriteTimeout: def(seconds({ min: 1 }), '10', 'Seconds allowed for one write to Typha.', local),
  TyphaKeyFile: def(str(), 'none', 'Client key (PEM) for mTLS to Typha.', local),
  TyphaCertFile: def(str(), 'none', 'Client certificate (PEM) for mTLS to Typha.', local),
  TyphaCAFile: def(str(), 'none', 'CA bundle (PEM) that signs the Typha server certificate.', local),
  TyphaCN: def(str(), 'none', 'Expected Common Name of the Typha server certificate.', local),
  TyphaURISAN: def(str(), 'none', 'Expected URI SAN of the Typha server certificate.', local),

  // felix/config/config_params.go health, metrics, logging.
  HealthEnabled: def(bool(), 'false', 'Serve /readiness and /liveness.'),
  HealthHost: def(str(), 'localhost', 'Address the health server binds.'),
  HealthPort: def(port(), '9099', 'Port of the health server.'),
  HealthTimeoutOverrides: def(
    durationMap(),
    'none',
    'Per-reporter timeouts, e.g. InternalDataplaneMainLoop=3m,CalculationGraph=1m.',
    { hot: true },
  ),
  DataplaneWatchdogTimeout: def(
    seconds(),
    '90',
    'Timeout of the InternalDataplaneMainLoop reporter (raised to at least 20s).',
  ),
  PrometheusMetricsEnabled: def(bool(), 'false', 'Serve Prometheus metrics.'),
  PrometheusMetricsHost: def(str(), 'none', 'Address the metrics server binds (empty = all interfaces).'),
  PrometheusMetricsPort: def(port(), '9091', 'Port of the metrics server.'),
  PrometheusGoMetricsEnabled: def(
    bool(),
    'true',
    'Node.js runtime metrics (the equivalent of go_* metrics).',
  ),
  PrometheusProcessMetricsEnabled: def(bool(), 'true', 'process_* metrics.'),
  LogSeverityScreen: def(
    oneOf(['TRACE', 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'FATAL', 'PANIC', 'NONE']),
    'INFO',
    'Level of log lines on stdout.',
  ),
  LogSeverityFile: def(
    oneOf(['TRACE', 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'FATAL', 'PANIC', 'NONE']),
    'INFO',
    'Level of log lines in LogFilePath.',
  ),
  LogSeveritySys: def(
    oneOf(['TRACE', 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'FATAL', 'PANIC', 'NONE']),
    'INFO',
    'Syslog level.',
    noEffect('felix-ts does not write syslog (use journald)'),
  ),
  LogFilePath: def(
    str(),
    '/var/log/calico/felix.log',
    'Log file; "none" disables it. An unwritable path disables it with a warning.',
  ),
  LogFormat: def(
    oneOf(['text', 'json']),
    'text',
    'felix-ts extension: "json" writes one JSON object per line.',
  ),
  UsageReportingEnabled: def(bool(), 'true', 'Usage reporting.', noEffect('felix-ts never phones home')),
  ReportingIntervalSecs: def(
    seconds(),
    '30',
    'Interval of status reports.',
    noEffect('felix-ts writes no status reports'),
  ),

  // felix/config/config_params.go iptables dataplane and host protection.
  IptablesBackend: def(
    oneOf(['auto', 'legacy', 'nft']),
    'auto',
    'iptables backend; auto detects as Felix does.',
  ),
  NFTablesMode: def(
    oneOf(['Disabled', 'Enabled', 'Auto']),
    'Auto',
    'nftables dataplane.',
    noEffect('felix-ts programs iptables only'),
  ),
  IptablesRefreshInterval: def(
    seconds(),
    '180',
    'Seconds between full re-reads of iptables to repair tampering; 0 disables.',
  ),
  IptablesPostWriteCheckIntervalSecs: def(
    seconds(),
    '5',
    'Seconds after a write before an extra read-back.',
    noEffect('no extra read-back; IptablesRefreshInterval re-reads the tables'),
  ),
  IptablesLockProbeIntervalMillis: def(
    millis(),
    '50',
    'Probe interval of the xtables lock.',
    noEffect('iptables-restore --wait probes the lock at its own interval'),
  ),
  IptablesLockTimeoutSecs: def(
    seconds(),
    '0',
    'Timeout of the iptables lock.',
    noEffect('removed in Felix v3.32; the native xtables lock is used'),
  ),
  IptablesLockFilePath: def(
    str(),
    '/run/xtables.lock',
    'Path of the iptables lock file.',
    noEffect('removed in Felix v3.32; the native xtables lock is used'),
  ),
  IptablesMarkMask: def(markMask(8), '0xffff0000', 'Mark bits felix-ts may use; at least 8 bits.'),
  ChainInsertMode: def(
    oneOf(['insert', 'append']),
    'insert',
    'Insert or append the cali jumps in kernel chains.',
  ),
  DefaultEndpointToHostAction: def(
    oneOf(['DROP', 'RETURN', 'ACCEPT']),
    'DROP',
    'Workload to host traffic not matched by policy.',
  ),
  IptablesFilterAllowAction: def(
    oneOf(['ACCEPT', 'RETURN']),
    'ACCEPT',
    'Verdict for allowed packets in the filter table.',
  ),
  IptablesMangleAllowAction: def(
    oneOf(['ACCEPT', 'RETURN']),
    'ACCEPT',
    'Verdict for allowed packets in the mangle table (pre-DNAT policy).',
  ),
  IptablesFilterDenyAction: def(oneOf(['DROP', 'REJECT']), 'DROP', 'Verdict for denied packets.'),
  IpsetsRefreshInterval: def(
    seconds(),
    '90',
    'Seconds between ipset resyncs.',
    noEffect('IP sets are re-read with the tables, every IptablesRefreshInterval'),
  ),
  MaxIpsetSize: def(int(1, 1 << 30), '1048576', 'maxelem of created IP sets.'),
  RouteRefreshInterval: def(
    seconds(),
    '90',
    'Seconds between route resyncs.',
    noEffect('felix-ts does not program routes'),
  ),
  InterfaceRefreshInterval: def(
    seconds(),
    '90',
    'Seconds between interface rescans.',
    noEffect('felix-ts does not watch interfaces'),
  ),
  InterfacePrefix: def(strList(), 'cali', 'Workload interface prefixes (comma-separated).'),
  InterfaceExclude: def(
    strList(),
    'kube-ipvs0',
    'Interfaces to ignore.',
    noEffect('felix-ts does not watch interfaces'),
  ),
  Ipv6Support: def(bool(), 'true', 'Program ip6tables too.'),
  FailsafeInboundHostPorts: def(
    protoPortList(),
    // The rule compiler owns Felix's failsafe defaults (rules/compiler/config.ts); one definition.
    formatProtoPorts(DEFAULT_FAILSAFE_INBOUND),
    'Always-open inbound host ports, e.g. tcp:22,udp:68; "none" disables.',
  ),
  FailsafeOutboundHostPorts: def(
    protoPortList(),
    formatProtoPorts(DEFAULT_FAILSAFE_OUTBOUND),
    'Always-open outbound host ports; "none" disables.',
  ),
  KubeNodePortRanges: def(
    portRangeList(),
    '30000:32767',
    'NodePort ranges.',
    noEffect('felix-ts programs no kube-proxy (IPVS) NodePort rules'),
  ),
  NetlinkTimeoutSecs: def(
    seconds(),
    '10',
    'Timeout of netlink/ip commands.',
    noEffect('felix-ts makes no netlink calls'),
  ),
  EndpointStatusPathPrefix: def(
    str(),
    '/var/run/calico',
    'Directory under which endpoint-status/ holds a file per programmed workload (the CNI policy wait); empty disables.',
  ),
  LogPrefix: def(
    // Felix's "string" (any one line); a quote or backslash cannot be put into a restore line.
    // eslint-disable-next-line no-control-regex
    str({ pattern: /^[^"\\\x00-\x1f\x7f]*$/, patternDesc: 'one line without " or \\' }),
    'calico-packet',
    'Prefix of LOG rules (%t tier, %k kind, %n name, %p namespace/name).',
  ),
  LogActionRateLimit: def(
    str({
      pattern: /^([1-9]\d{0,3}\/(?:second|minute|hour|day))?$/,
      patternDesc: 'N/second|minute|hour|day',
    }),
    '',
    'Rate limit of LOG rules (-m limit --limit).',
  ),
  LogActionRateLimitBurst: def(int(0, 9999), '5', 'Burst of the LOG rate limit (0: none).'),
  VXLANPort: def(port(), '4789', 'Port of the "drop VXLAN from workloads" rule.'),
  AllowVXLANPacketsFromWorkloads: def(bool(), 'false', 'Let workloads send VXLAN packets.'),
  AllowIPIPPacketsFromWorkloads: def(bool(), 'false', 'Let workloads send IPIP packets.'),
  DisableConntrackInvalidCheck: def(bool(), 'false', 'Skip the conntrack INVALID drop.'),
  DataplaneMinApplyIntervalMillis: def(
    millis(),
    '100',
    'felix-ts extension: minimum gap between two dataplane applies (throttling).',
  ),

  // ---- raw table (issue 12) ----
  WorkloadSourceSpoofing: def(
    oneOf(['Disabled', 'Any']),
    'Disabled',
    'Any: workloads may send from their allowSpoofedSourcePrefixes (cali-rpf-skip, rp_filter 0); Disabled: such workloads are refused.',
  ),

  // ---- Kubernetes Services (issue 13) ----
  ServiceLoopPrevention: def(
    oneOf(['Drop', 'Reject', 'Disabled']),
    'Drop',
    'What cali-cidr-block does with forwarded traffic to the default BGPConfiguration service CIDRs that kube-proxy did not DNAT: Drop, Reject, or Disabled (no rules).',
  ),

  // ---- nat table, overlay, feature detection (issue 12): params-nat.ts ----
  ...NAT_PARAMS,
  // ---- overlay (issue 14): params-overlay.ts ----
  ...OVERLAY_PARAMS,
  // ---- profiles on signal (issue 18): params-debug.ts ----
  ...DEBUG_PARAMS,

  // ClusterInformation fields: Felix's no-restart set (felix/daemon/daemon.go).
  // Felix uses them for usage reporting only.
  CalicoVersion: def(str(), 'none', 'From ClusterInformation.', { hot: true, ...noEffect(CLUSTER_INFO) }),
  ClusterGUID: def(str(), 'none', 'From ClusterInformation.', { hot: true, ...noEffect(CLUSTER_INFO) }),
  ClusterType: def(str(), 'none', 'From ClusterInformation.', { hot: true, ...noEffect(CLUSTER_INFO) }),
} as const;

export type ParamName = keyof typeof PARAMS;
export const PARAM_NAMES = Object.keys(PARAMS) as ParamName[];

/** The resolved configuration: one typed field per Felix parameter (durations in milliseconds). */
export type FelixConfig = {
  readonly [K in ParamName]: z.output<(typeof PARAMS)[K]['schema']>;
};

const LOWER = new Map<string, ParamName>(PARAM_NAMES.map((n) => [n.toLowerCase(), n]));

/** Case-insensitive lookup of a parameter name (Felix lower-cases names, felix/config/config_params.go). */
export function canonicalParamName(name: string): ParamName | undefined {
  return LOWER.get(name.trim().toLowerCase());
}

export function paramDefault(name: ParamName): string {
  const d = PARAMS[name].default;
  return typeof d === 'function' ? d() : d;
}
