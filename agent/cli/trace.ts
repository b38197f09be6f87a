// `felix-ts trace <src> <dst> [proto/port]`: asks the running agent (GET /debug/trace, computed by
// agent/daemon/trace.ts) for the verdict of the first packet of a flow, and prints each direction
// with the tier, policy or profile and rule that decided it and the kernel rule implementing it.
import type { Writable } from 'node:stream';
import type { DirectionTrace, TraceResult, TraceStep } from '../daemon/index.js';
import { EXIT_UNREACHABLE, getJson, type Io, type Target } from './commands.js';

/** Exit codes: 0 allowed, 1 denied, 2 bad arguments (unknown or ambiguous endpoint), 3 agent unreachable. */
export const TRACE_EXIT = { allowed: 0, denied: 1, badArgs: 2, unreachable: EXIT_UNREACHABLE } as const;

function stepWhere(s: TraceStep): string {
  const parts: string[] = [];
  if (s.tier !== undefined) parts.push(`tier ${s.tier}`);
  if (s.policy !== undefined) parts.push(`policy ${s.policy}`);
  if (s.profile !== undefined) parts.push(`profile ${s.profile}`);
  if (s.rule !== undefined)
    parts.push(`rule ${s.rule}${s.ruleId ? ` (id ${s.ruleId})` : ''} ${s.action ?? ''}`.trimEnd());
  return parts.join(' ');
}

const RESULT_TEXT: Readonly<Record<TraceStep['result'], string>> = {
  'no-match': 'no match',
  log: 'matches: logged, evaluation goes on',
  allow: 'matches -> ALLOW',
  deny: 'matches -> DENY',
  pass: 'matches -> PASS to the next tier',
  'end-of-tier-deny': 'end of tier, no policy gave a verdict -> DENY',
  'end-of-tier-pass': 'end of tier, default action Pass -> next tier',
  'staged-skipped': 'staged: never enforced',
  missing: 'not in the dataplane (programmed empty)',
};

function decidedText(d: DirectionTrace): string {
  const rule = d.rule !== undefined ? ` rule ${d.rule} (${d.action ?? ''})` : '';
  switch (d.decidedBy) {
    case 'policy':
      return `policy ${d.policy ?? ''}${rule} in tier ${d.tier ?? ''}`;
    case 'profile':
      return `profile ${d.profile ?? ''}${rule}`;
    case 'end-of-tier':
      return `end of tier ${d.tier ?? ''} (no policy in the tier allowed or passed it)`;
    case 'no-profile-matched':
      return "the endpoint chain's final drop (no profile matched)";
    case 'admin-down':
      return 'the endpoint is administratively down';
    case 'encap-drop':
      return `the drop of ${d.action === 'ipip' ? 'IPIP' : 'VXLAN'} packets from workloads`;
  }
}

function printDirection(o: Writable, d: DirectionTrace): void {
  const chain = d.endpointChain ? `, chain ${d.endpointChain}` : '';
  o.write(`${d.direction === 'egress' ? 'Egress from' : 'Ingress to'} ${d.endpoint} (${d.iface}${chain}):\n`);
  if (d.steps.length === 0) o.write('  (no policy or profile rule evaluated)\n');
  for (const s of d.steps) {
    o.write(`  ${stepWhere(s) || '-'}: ${RESULT_TEXT[s.result]}${s.why ? ` (${s.why})` : ''}\n`);
    if (s.selectorCheck) o.write(`    selector check: ${s.selectorCheck}\n`);
  }
  o.write(`  ${d.verdict === 'allow' ? 'ALLOW' : 'DENY'} by ${decidedText(d)}\n`);
  for (const k of d.kernel)
    o.write(
      `  kernel: ${k.table} IPv${k.ipVersion} ${k.chain} rule ${k.index + 1} cali:${k.hash}  ${k.body}\n`,
    );
}

function endText(e: TraceResult['src']): string {
  return e.workload ? `${e.workload} (${e.address})` : `${e.address} (not a local workload)`;
}

export async function traceCommand(
  io: Io,
  t: Target & { json?: boolean },
  args: { src: string; dst: string; packet?: string | undefined },
): Promise<number> {
  const q = new URLSearchParams({
    src: args.src,
    dst: args.dst,
    ...(args.packet ? { packet: args.packet } : {}),
  });
  const r = await getJson(io, t, `/debug/trace?${q.toString()}`);
  if (!r) return TRACE_EXIT.unreachable;
  if (r.status !== 200) {
    if (t.json) io.out.write(JSON.stringify(r.json, null, 2) + '\n');
    const e = r.json as { error?: string; candidates?: string[] };
    io.err.write(`felix-ts trace: ${e.error ?? `HTTP ${r.status}`}\n`);
    for (const c of e.candidates ?? []) io.err.write(`  ${c}\n`);
    return r.status === 503 ? TRACE_EXIT.unreachable : TRACE_EXIT.badArgs;
  }
  const res = r.json as TraceResult & { dryRun?: boolean };
  if (t.json) {
    io.out.write(JSON.stringify(res, null, 2) + '\n');
  } else {
    const o = io.out;
    o.write(`Tracing ${endText(res.src)} -> ${endText(res.dst)}, IPv${res.ipVersion} ${res.packet}\n`);
    for (const d of res.directions) printDirection(o, d);
    for (const n of res.notes) o.write(`note: ${n}\n`);
    if (res.dryRun) o.write('note: dry run: the chains are computed, not programmed\n');
    o.write(`Final verdict: ${res.verdict === 'allow' ? 'ALLOWED' : 'DENIED'}\n`);
  }
  return res.verdict === 'allow' ? TRACE_EXIT.allowed : TRACE_EXIT.denied;
}
