// The parameter table: Felix's names and defaults (felix-operations.md §2.2-§2.4).
// Each entry: a zod value schema (string -> typed value), the default as Felix writes it,
// `local` (never taken from the datastore, §2.1), and `hot` (a change needs no restart, §1.4).
import os from 'node:os';
import type { z } from 'zod';
import {
  bool,
  durationMap,
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

export interface ParamDef<T> {
  readonly schema: ValueSchema<T>;
  /** Default, in the same string syntax as env/file values; a function for run-time defaults. */
  readonly default: string | (() => string);
  /** Local-only: accepted from env, file and flags only (§2.1). */
  readonly local?: boolean;
  /** Changing it at run time needs no restart (Felix's no-restart set, §1.4). */
  readonly hot?: boolean;
  /** Redacted in logs. */
  readonly sensitive?: boolean;
  /** felix-ts accepts it for compatibility but does not act on it. */
  readonly ignored?: boolean;
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

export const FAILSAFE_IN_DEFAULT =
  'tcp:22,udp:68,tcp:179,tcp:2379,tcp:2380,tcp:5473,tcp:6443,tcp:6666,tcp:6667';
export const FAILSAFE_OUT_DEFAULT =
  'udp:53,udp:67,tcp:179,tcp:2379,tcp:2380,tcp:5473,tcp:6443,tcp:6666,tcp:6667';

export const PARAMS = {
  // §2.2 Typha connection (all local-only).
  DatastoreType: def(
    oneOf(['kubernetes', 'etcdv3']),
    'etcdv3',
    'Datastore behind Typha (informational: felix-ts only talks to Typha).',
    local,
  ),
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

  // §2.3 health, metrics, logging.
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
    'Syslog level (accepted; felix-ts does not write syslog, use journald).',
    { ignored: true },
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
  UsageReportingEnabled: def(bool(), 'true', 'Accepted for compatibility; felix-ts never phones home.', {
    ignored: true,
  }),
  ReportingIntervalSecs: def(
    seconds(),
    '30',
    'Accepted for compatibility; felix-ts writes no status reports.',
    { ignored: true },
  ),

  // §2.4 iptables dataplane and host protection.
  IptablesBackend: def(
    oneOf(['auto', 'legacy', 'nft']),
    'auto',
    'iptables backend; auto detects as Felix does.',
  ),
  NFTablesMode: def(
    oneOf(['Disabled', 'Enabled', 'Auto']),
    'Auto',
    'Accepted; felix-ts programs iptables only.',
    { ignored: true },
  ),
  IptablesRefreshInterval: def(
    seconds(),
    '180',
    'Seconds between full re-reads of iptables to repair tampering; 0 disables.',
  ),
  IptablesPostWriteCheckIntervalSecs: def(seconds(), '5', 'Seconds after a write before an extra read-back.'),
  IptablesLockProbeIntervalMillis: def(millis(), '50', 'Passed to iptables-restore --wait-interval.'),
  IptablesLockTimeoutSecs: def(
    seconds(),
    '0',
    'Accepted (removed in Felix v3.32); the native xtables lock is used.',
    { ignored: true },
  ),
  IptablesLockFilePath: def(str(), '/run/xtables.lock', 'Accepted (removed in Felix v3.32).', {
    ignored: true,
  }),
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
    'Verdict for allowed packets in the mangle table.',
  ),
  IptablesFilterDenyAction: def(oneOf(['DROP', 'REJECT']), 'DROP', 'Verdict for denied packets.'),
  IpsetsRefreshInterval: def(seconds(), '90', 'Seconds between ipset resyncs.'),
  MaxIpsetSize: def(int(1, 1 << 30), '1048576', 'maxelem of created IP sets.'),
  RouteRefreshInterval: def(seconds(), '90', 'Accepted; felix-ts does not program routes.', {
    ignored: true,
  }),
  InterfaceRefreshInterval: def(seconds(), '90', 'Seconds between interface rescans.'),
  InterfacePrefix: def(strList(), 'cali', 'Workload interface prefixes (comma-separated).'),
  InterfaceExclude: def(strList(), 'kube-ipvs0', 'Interfaces to ignore.'),
  Ipv6Support: def(bool(), 'true', 'Program ip6tables too.'),
  FailsafeInboundHostPorts: def(
    protoPortList(),
    FAILSAFE_IN_DEFAULT,
    'Always-open inbound host ports, e.g. tcp:22,udp:68; "none" disables.',
  ),
  FailsafeOutboundHostPorts: def(
    protoPortList(),
    FAILSAFE_OUT_DEFAULT,
    'Always-open outbound host ports; "none" disables.',
  ),
  KubeNodePortRanges: def(portRangeList(), '30000:32767', 'NodePort ranges.'),
  NetlinkTimeoutSecs: def(seconds(), '10', 'Timeout of netlink/ip commands.'),
  EndpointStatusPathPrefix: def(
    str(),
    '/var/run/calico',
    'Accepted; felix-ts writes no endpoint status files.',
    { ignored: true },
  ),
  LogPrefix: def(str(), 'calico-packet', 'Prefix of LOG rules.'),
  VXLANPort: def(port(), '4789', 'Port of the "drop VXLAN from workloads" rule.'),
  AllowVXLANPacketsFromWorkloads: def(bool(), 'false', 'Let workloads send VXLAN packets.'),
  AllowIPIPPacketsFromWorkloads: def(bool(), 'false', 'Let workloads send IPIP packets.'),
  DisableConntrackInvalidCheck: def(bool(), 'false', 'Skip the conntrack INVALID drop.'),
  DataplaneMinApplyIntervalMillis: def(
    millis(),
    '100',
    'felix-ts extension: minimum gap between two dataplane applies (throttling).',
  ),

  // ClusterInformation fields: Felix's no-restart set (§1.4).
  CalicoVersion: def(str(), 'none', 'From ClusterInformation.', { hot: true }),
  ClusterGUID: def(str(), 'none', 'From ClusterInformation.', { hot: true }),
  ClusterType: def(str(), 'none', 'From ClusterInformation.', { hot: true }),
} as const;

export type ParamName = keyof typeof PARAMS;
export const PARAM_NAMES = Object.keys(PARAMS) as ParamName[];

/** The resolved configuration: one typed field per Felix parameter (durations in milliseconds). */
export type FelixConfig = {
  readonly [K in ParamName]: z.output<(typeof PARAMS)[K]['schema']>;
};

const LOWER = new Map<string, ParamName>(PARAM_NAMES.map((n) => [n.toLowerCase(), n]));

/** Case-insensitive lookup of a parameter name (Felix lower-cases names, §2.1). */
export function canonicalParamName(name: string): ParamName | undefined {
  return LOWER.get(name.trim().toLowerCase());
}

export function paramDefault(name: ParamName): string {
  const d = PARAMS[name].default;
  return typeof d === 'function' ? d() : d;
}
