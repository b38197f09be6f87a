// Compiler bench: compile time and output size for generated inputs (bench/compile.md). Figures are
// reported next to a baseline measured in the same run on the same machine: hashing the same rule
// bodies (the irreducible SHA-224 cost) and rendering the restore text.
import { performance } from 'node:perf_hooks';
import {
  DataplaneState,
  compile,
  defaultCompilerConfig,
  renderRestoreText,
  ruleHashes,
} from '../rules/compiler/index.js';
import { generateMessages, type GenOptions } from './compile-input.js';

interface Scenario extends GenOptions {
  readonly name: string;
}

const scenarios: Scenario[] = [
  {
    name: '250 endpoints x 20 policies (all 20 on every endpoint)',
    endpoints: 250,
    policies: 20,
    policiesPerEndpoint: 20,
  },
  {
    name: '2500 endpoints x 20 policies (3 per endpoint)',
    endpoints: 2500,
    policies: 20,
    policiesPerEndpoint: 3,
  },
  {
    name: '2500 endpoints x 20 policies (all 20 on every endpoint)',
    endpoints: 2500,
    policies: 20,
    policiesPerEndpoint: 20,
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const reps = Number(process.env.BENCH_REPS ?? 5);
const cfg = defaultCompilerConfig({ ipv6Support: false });
console.log(`node ${process.version}, ${reps} reps, median ms; IPv4 filter table only`);
for (const sc of scenarios) {
  const msgs = generateMessages(sc);
  const st = new DataplaneState();
  const errs = st.applyAll(msgs);
  if (errs.length > 0) throw errs[0];
  compile(st, cfg);
  const compileMs: number[] = [];
  const hashMs: number[] = [];
  const renderMs: number[] = [];
  const applyMs: number[] = [];
  const warmMs: number[] = [];
  let rules = 0;
  let chains = 0;
  let bytes = 0;
  for (let i = 0; i < reps; i++) {
    let t0 = performance.now();
    const st2 = new DataplaneState();
    st2.applyAll(msgs);
    applyMs.push(performance.now() - t0);

    // A cold compile: a new state, so nothing is memoised.
    const cold = new DataplaneState();
    cold.applyAll(msgs);
    t0 = performance.now();
    const d = compile(cold, cfg);
    compileMs.push(performance.now() - t0);
    const table = d.tables[0]!;
    chains = table.chains.size;
    rules = [...table.chains.values()].reduce((a, c) => a + c.rules.length, 0);

    // Recompile after one policy change, with the state's warm hash memo.
    const pol = msgs.find((x) => x.kind === 'activePolicyUpdate');
    if (pol && pol.kind === 'activePolicyUpdate') {
      st.apply({
        ...pol,
        policy: { ...pol.policy, outboundRules: [...pol.policy.outboundRules, { action: 'log' }] },
      });
      t0 = performance.now();
      compile(st, cfg);
      warmMs.push(performance.now() - t0);
      st.apply(pol);
      compile(st, cfg);
    }

    // Baseline 1: just the chained SHA-224 over the same bodies.
    t0 = performance.now();
    for (const c of table.chains.values())
      ruleHashes(
        c.name,
        c.rules.map((r) => r.body),
      );
    hashMs.push(performance.now() - t0);

    // Baseline 2: rendering the restore text of the result.
    t0 = performance.now();
    bytes = renderRestoreText(table).length;
    renderMs.push(performance.now() - t0);
  }
  const c = median(compileMs);
  const h = median(hashMs);
  console.log(
    `${sc.name}: ${msgs.length} messages; ${chains} chains, ${rules} rules, ${(bytes / 1e6).toFixed(2)} MB restore text\n` +
      `  apply msgs ${median(applyMs).toFixed(1)} ms | compile ${c.toFixed(1)} ms | hash-only baseline ${h.toFixed(1)} ms ` +
      `(compile/hash = ${(c / h).toFixed(2)}x) | renderRestoreText ${median(renderMs).toFixed(1)} ms | ` +
      `${((c * 1000) / rules).toFixed(2)} µs/rule\n` +
      `  recompile after 1 policy change (warm hash memo) ${median(warmMs).toFixed(1)} ms`,
  );
}
