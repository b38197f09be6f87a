// One Ctrl-C at any moment ends `felix-ts demo` and removes everything it created (issue 19
// item 4): SIGINT is sent at several points of a root run (network namespaces) and the test then
// checks that no ftsdemo-<pid>-* namespace, no pod server process and no temp directory is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'agent', 'cli', 'main.js');

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((r) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let s = '';
    c.stdout.on('data', (d: Buffer) => (s += d.toString()));
    c.once('exit', () => r(s));
  });
}

/** Processes whose command line names the demo's pod server (it listens with net.createServer). */
function podServers(): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (/createServer\(\(s\) =>/.test(readFileSync(`/proc/${e}/cmdline`, 'utf8'))) pids.push(Number(e));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** Starts the demo, sends SIGINT once `marker` is printed, returns the exit code and output. */
async function interruptAt(args: string[], marker: RegExp): Promise<{ code: number | null; text: string }> {
  const child = spawn(process.execPath, [MAIN, 'demo', ...args], {
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', FELIX_LOGSEVERITYSCREEN: 'WARNING' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let sent = false;
  const onData = (d: Buffer): void => {
    text += d.toString();
    if (!sent && marker.test(text)) {
      sent = true;
      child.kill('SIGINT');
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  assert.ok(sent, `marker ${String(marker)} never printed:\n${text}`);
  return { code, text };
}

async function assertNothingLeft(text: string): Promise<void> {
  const dir = /Generating a development PKI in (\S+)/.exec(text)?.[1];
  assert.ok(dir, text);
  assert.equal(existsSync(dir), false, `temp dir ${dir} removed`);
  const id = /ftsdemo-(\d+)-/.exec(text)?.[1];
  if (id) assert.doesNotMatch(await run('ip', ['netns', 'list']), new RegExp(`ftsdemo-${id}-`), text);
  assert.deepEqual(podServers(), [], 'no pod server process left');
}

const CASES: readonly (readonly [what: string, args: string[], marker: RegExp, code: number])[] = [
  ['while generating the PKI', [], /Generating a development PKI/, 130],
  ['during namespace set-up', [], /Creating namespaces/, 130],
  ['during the traffic check', [], / ok {2}web-1 -> /, 130],
  ['with --keep, once everything is up', ['--keep'], /Press Ctrl-C to end the demo/, 0],
];

for (const [what, args, marker, code] of CASES) {
  test(`demo: one SIGINT ${what} ends it (exit ${code}) and removes everything`, async () => {
    const r = await interruptAt(args, marker);
    assert.equal(r.code, code, r.text);
    await assertNothingLeft(r.text);
  });
}

test('demo --keep prints the follow-up commands for the chosen backend', async () => {
  const r = await interruptAt(['--keep'], /Press Ctrl-C to end the demo/);
  assert.equal(r.code, 0, r.text);
  assert.match(r.text, /node dist\/bundle\/felix-ts\.js status --host 127\.0\.0\.1 --port \d+/);
  assert.match(r.text, /inspect endpoint db-1 --host 127\.0\.0\.1 --port \d+/);
  assert.match(r.text, /curl -s http:\/\/127\.0\.0\.1:\d+\/metrics/);
  const backend = /felix_iptables_backend\{backend="(\w+)"\}/.exec(r.text)?.[1];
  assert.match(r.text, new RegExp(`ip netns exec ftsdemo-\\d+-node iptables-${backend ?? 'legacy'}-save`));
  await assertNothingLeft(r.text);
});
