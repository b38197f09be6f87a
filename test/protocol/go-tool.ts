// Builds the Go cross-check tool (test/protocol/go) once per process and runs it.
// Go is a hard requirement: CI installs golang-go, so a missing toolchain is an error, not a skip.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GO_TOOL_SRC } from './paths.js';

let built: { bin: string; dir: string } | undefined;

function goEnv(): NodeJS.ProcessEnv {
  const cache = process.env.GOCACHE ?? join(tmpdir(), 'felix-ts-gocache');
  mkdirSync(cache, { recursive: true });
  // GOPATH mode finds github.com/golang/snappy in Debian's /usr/share/gocode, offline.
  return { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: cache, GOFLAGS: '' };
}

export function goTool(): string {
  if (built !== undefined) return built.bin;
  const probe = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      'the Go toolchain is required for the gob cross-check tests (apt-get install golang-go golang-github-golang-snappy-dev); `go version` failed: ' +
        (probe.error?.message ?? probe.stderr),
    );
  }
  const dir = mkdtempSync(join(tmpdir(), `felix-ts-gobtool-${process.pid}-`));
  const bin = join(dir, 'gobtool');
  try {
    execFileSync('go', ['build', '-o', bin, '.'], {
      cwd: GO_TOOL_SRC,
      env: goEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stderr?: Buffer };
    throw new Error(`building test/protocol/go failed: ${err.stderr?.toString() ?? String(e)}`);
  }
  built = { bin, dir };
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return bin;
}

/** Runs the tool; throws with its stderr on failure. */
export function runGoTool(args: readonly string[]): string {
  const r = spawnSync(goTool(), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`gobtool ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
