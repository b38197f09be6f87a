// Usage texts: the global one and one per command (`felix-ts <command> --help`).

export const USAGE = `Usage: felix-ts <command> [options]

Commands:
  run [--dry-run]             Run the agent (configuration: FELIX_* env, /etc/calico/felix.cfg, flags);
                              --dry-run computes everything but never runs iptables-restore/ipset
  status [--live] [--json]    Query the local readiness (or liveness) endpoint; exit 1 when not ready,
                              3 when the agent cannot be reached
  inspect endpoint <name>     Tiers, policies, profiles and IPs of a local endpoint (pod name, ns/pod,
                              interface or key) and its chains in evaluation order
  inspect chains              Every chain felix-ts programs (computes, in a dry run), each rule with
                              the policy it came from
  diagnose [--json]           Check the Typha path without a running agent: TLS files, discovery, and per
                              endpoint TCP, TLS, hello, first KV batch; exit 0 ok, 1 warning, 2 error
  trace <src> <dst> [p/port]  Verdict of a flow from the running agent's state: per direction the
                              tier, policy/profile and rule that decide it and its kernel rule
  diags [--dir <dir>]         Write one .tar.gz for a bug report: iptables (4 tables, both families,
                              counters), IP sets, readiness, inspect chains, config, logs; no secrets
  certs --dir <dir>           Write a development PKI (CA, Typha server and client certs)
  demo [--dry-run] [--keep]   Bundled Typha server + sample cluster -> agent over mTLS -> dataplane
                              (as root: a throw-away netns and a traffic check; else a dry run)
  version                     Print the version (also -v, --version)

Options:
  -c, --config-file <path>    Config file (default /etc/calico/felix.cfg, or FELIX_CONFIGFILE)
  --set Name=Value            Set a parameter (repeatable; overrides env and file)
  --host <h> --port <p>       Health server to query (status/inspect; default HealthHost:HealthPort)
  --json                      Machine-readable output (status/inspect)
  -h, --help                  This text; \`felix-ts <command> --help\` for one command
`;

const TARGET = `  --host <h> --port <p>       Health server to query (default HealthHost:HealthPort from the
                              config: FELIX_* env and the config file)
  -c, --config-file <path>    Config file to read HealthHost/HealthPort from
`;

export const COMMAND_USAGE: Readonly<Record<string, string>> = {
  run: `Usage: felix-ts run [--dry-run] [-c <file>] [--set Name=Value]...

Runs the agent in the foreground: connects to Typha, computes policy and programs iptables/ipset.
Configuration (highest first): --set, FELIX_* environment, the config file, Felix's defaults.

Options:
  -c, --config-file <path>    Config file (default /etc/calico/felix.cfg, or FELIX_CONFIGFILE)
  --set Name=Value            Set a Felix parameter (repeatable), e.g. --set LogSeverityScreen=Debug
  --dry-run                   Compute the restore input but never run iptables-restore or ipset
`,
  status: `Usage: felix-ts status [--live] [--json] [--host <h>] [--port <p>] [-c <file>]

Queries the running agent's health server (readiness, or liveness with --live).
Exit codes: 0 ready/live, 1 not ready/live, 3 the agent cannot be reached.

Options:
  --live                      Query /liveness instead of /readiness
  --json                      Print JSON only (also when the agent cannot be reached)
${TARGET}`,
  inspect: `Usage: felix-ts inspect endpoint <name> [--json] [--host <h>] [--port <p>]
       felix-ts inspect chains [--json] [--host <h>] [--port <p>]

endpoint <name>   Tiers, policies, profiles and IPs of a local endpoint and the chains that
                  implement it, in evaluation order: its own chain, the policy-group and policy
                  chains it jumps to, then the profile chains. <name> is one of:
                    ns/pod               the workload ID (ns/pod/eth0 for one of several interfaces)
                    pod                  the pod name alone, when exactly one local pod has it
                                         (otherwise the candidates are listed and the exit code is 1)
                    cali1234abcd         the workload's (or host endpoint's) interface name
                    /calico/v1/host/...  the full endpoint key
chains            Every chain felix-ts programs (in a dry run: computes but does not program),
                  each rule with the policy it came from

Options:
  --json                      Machine-readable output
${TARGET}`,
  trace: `Usage: felix-ts trace <src> <dst> [proto/port] [--json] [--host <h>] [--port <p>]

Asks the running agent how the first packet of a connection from <src> to <dst> is treated: the
egress of <src> and the ingress of <dst> (each when it is a local workload), in the order the
kernel evaluates them: tiers (allow, deny, pass, end-of-tier drop), then profiles, then the final
drop; with the policy or profile rule that decides and the filter-table chain, rule number and
rule hash (cali:...) that implement it. Staged policies are shown but never decide.

<src>, <dst>      ns/pod, a pod name alone (when unique), a workload interface (cali...), the
                  endpoint key, or an IP or CIDR (a local workload's IP is that workload)
[proto/port]      tcp/8080, udp/53, sctp/9, tcp, icmp (echo request), icmp/<type>[/<code>],
                  icmpv6, or a protocol number; left out: no protocol (only rules without
                  protocol, port or ICMP conditions match). The source port is never known.

Exit codes: 0 allowed, 1 denied, 2 bad arguments or an unknown/ambiguous endpoint, 3 the agent
cannot be reached (or has not started its dataplane).

Options:
  --json                      Machine-readable output (every evaluated rule with the reason it
                              did not match)
${TARGET}`,
  diags: `Usage: felix-ts diags [--dir <dir>] [-c <file>] [--set Name=Value]... [--host <h>] [--port <p>]

Collects what \`calicoctl node diags\` collects that applies to felix-ts into one archive,
<dir>/felix-ts-diags-<host>-<UTC time>.tar.gz (mode 0600; <dir> defaults to the temp directory):
iptables-save -c and ip6tables-save -c of the backend in use (detected as the agent does) for the
filter, raw, mangle and nat tables, ipset list and ipset save, the readiness and liveness JSON,
inspect chains, the effective configuration with the source of each value (from the running
agent, else the local sources), the last log lines of LogFilePath, and the versions of felix-ts,
Node.js, the kernel, iptables and ipset. Run it where the agent runs (as root, in its network
namespace). Never included: key and certificate file contents (only their paths), the
environment, PEM private keys found in any collected text. README.txt in the archive lists what
could not be collected. Exit codes: 0 written (possibly partial), 1 the archive could not be written.

Options:
  --dir <dir>                 Directory to write the archive into
  -c, --config-file <path>    Config file (as for run)
  --set Name=Value            Set a parameter (as for run)
${TARGET}`,
  certs: `Usage: felix-ts certs --dir <dir> [--force] [--server-cn CN] [--client-cn CN] [--days N]
                      [--expired] [--no-eku]

Writes a development PKI into <dir>: ca.crt and ca.key, typha-server.crt/.key (serverAuth) and
typha-client.crt/.key (clientAuth), all RSA 2048 signed by the CA; keys are mode 0600. Prints the
FELIX_TYPHA* settings and a test Typha server command that use them. Not for production use.

Options:
  --dir <dir>                 Directory to write (created if missing); it must be empty
  --force                     Write into a non-empty directory, replacing the files above
  --server-cn CN              CommonName of the Typha server cert (default typha-server)
  --client-cn CN              CommonName of the client cert (default typha-client)
  --days N                    Validity of the server and client certs, 1..36500 (default 365;
                              the CA: 3650)
  --expired                   Server and client certs whose validity (N days) ended yesterday,
                              for testing that they are refused; the CA stays valid
  --no-eku                    Leave out the extendedKeyUsage extension (serverAuth/clientAuth)

Exit codes: 0 written, 1 a file could not be written, 2 a bad option or a non-empty directory.
`,
  demo: `Usage: felix-ts demo [--dry-run] [--keep]

Starts the bundled Typha test server with a sample cluster, runs the agent against it over mTLS and
programs the dataplane. As root it uses throw-away network namespaces (ftsdemo-*) and checks that
allowed traffic passes and denied traffic is dropped; otherwise it is a dry run.

Options:
  --dry-run                   Never run iptables-restore/ipset (the default when not root)
  --keep                      Keep everything running after the checks and print the commands to
                              explore it (status, inspect, metrics, iptables-save); Ctrl-C ends the
                              demo and removes everything it created
`,
  diagnose: `Usage: felix-ts diagnose [--json] [--timeout <seconds>] [-c <file>] [--set Name=Value]...

Checks the path to Typha with the configuration \`run\` would use (FELIX_* env, the config file,
--set), without a running agent, and prints one line per check with the fix for each problem:
  config       TyphaAddr or discovery, TLS settings
  ca-file      TyphaCAFile parses; each CA's validity window
  cert-file    TyphaCertFile parses; validity (expired, not yet valid, expiring within 30 days);
               CN / URI SAN; extendedKeyUsage clientAuth; issued by a CA in TyphaCAFile
  key-file     TyphaKeyFile parses; its mode (readable by others: warning; writable: error)
  key-pair     the key belongs to the certificate
  discovery    the Typha endpoints found through EndpointSlices (with FELIX_TYPHAK8SSERVICENAME)
  per endpoint tcp (refused / timeout / unreachable told apart), tls (untrusted CA, CN / URI SAN
               mismatch, expired, not TLS, client certificate refused), hello (server version,
               syncer type, compression), sync (time to the first KV batch and to in-sync)
A failed step skips the later steps of that endpoint. Each error also shows the text Felix logs
for it (error=...), for runbooks.

Options:
  --json                      Print the checks as JSON
  --timeout <seconds>         Timeout of each step (discovery, dial, hello, first batch); default 5
  -c, --config-file <path>    Config file (default /etc/calico/felix.cfg, or FELIX_CONFIGFILE)
  --set Name=Value            Set a Felix parameter (repeatable)

Exit codes: 0 every check ok, 1 the worst is a warning, 2 at least one error (also a bad option).
`,
  version: `Usage: felix-ts version   (or felix-ts -v, felix-ts --version)

Prints the felix-ts version.
`,
};

/** The usage for one command, or the global usage. */
export function usageFor(cmd: string | undefined): string {
  return (cmd !== undefined && COMMAND_USAGE[cmd]) || USAGE;
}
