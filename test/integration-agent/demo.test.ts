// The README's main job: `felix-ts demo`. The dry-run path (what a normal user gets) runs
// in-process; the root path (netns + traffic check) runs the compiled CLI when root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { runDemo } from '../../tools/demo/index.js';

const MAIN = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'agent', 'cli', 'main.js');

test('demo, dry-run path: connects over mTLS, becomes ready, prints the restore transaction, exits 0', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const code = await runDemo(
    { out, err: out, env: { FELIX_LOGSEVERITYSCREEN: 'WARNING' } },
    { dryRun: true },
  );
  assert.equal(code, 0, text);
  assert.match(text, /readiness -> 200/);
  assert.match(text, /Restore transaction for ipv4\/filter \(dry run/);
  assert.match(text, /^\*filter$/m);
  assert.match(text, /^:cali-tw-cali[0-9a-f]{11} - -$/m);
  assert.match(text, /^create cali40s:\S+ hash:net family inet/m);
  assert.match(text, /Demo finished: every check behaved as expected/);
});

test(
  'demo as root: programs a throw-away namespace, allowed and denied flows, live update, cleanup',
  { skip: process.getuid?.() !== 0 ? 'needs root (network namespaces)' : false },
  async () => {
    const child = spawn(process.execPath, [MAIN, 'demo'], {
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', FELIX_LOGSEVERITYSCREEN: 'WARNING' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.equal(code, 0, text);
    assert.match(text, /ok {2}web-1 -> api-1:8080 {2}ALLOWED/);
    assert.match(text, /ok {2}web-1 -> db-1:5432 {2}DENIED/);
    assert.match(text, /ok {2}web-1 -> db-1:5432 {2}ALLOWED .*pushed live/);
    assert.match(text, /Removed the demo namespaces \(ftsdemo-(\d+)-\*\)/);
    const id = /ftsdemo-(\d+)-/.exec(text)?.[1];
    const ns = await new Promise<string>((r) => {
      const ip = spawn('ip', ['netns', 'list'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let s = '';
      ip.stdout.on('data', (d: Buffer) => (s += d.toString()));
      ip.once('exit', () => r(s));
    });
    assert.doesNotMatch(ns, new RegExp(`ftsdemo-${id}-`), 'namespaces were removed');
  },
);
