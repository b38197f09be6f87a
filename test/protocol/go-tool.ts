// Builds the Go cross-check tool (test/protocol/go) and runs it. The binary is cached in the
// temp dir under a hash of its sources, so a test run (several test processes) builds it once.
// Go is a hard requirement: CI installs golang-go, so a missing toolchain is an error, not a skip.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GO_TOOL_SRC } from './paths.js';

let bin: string | undefined;

function goEnv(): NodeJS.ProcessEnv {
  const cache = process.env.GOCACHE ?? join(tmpdir(), 'felix-ts-gocache');
  mkdirSync(cache, { recursive: true });
  // GOPATH mode finds github.com/golang/snappy in Debian's /usr/share/gocode, offline.
  return { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: cache, GOFLAGS: '' };
}

export function goTool(): string {
  if (bin !== undefined) return bin;
  const probe = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      'the Go toolchain is required for the gob cross-check tests (apt-get install golang-go golang-github-golang-snappy-dev); `go version` failed: ' +
        (probe.error?.message ?? probe.stderr),
    );
  }
  const h = createHash('sha256').update(probe.stdout);
  for (const f of readdirSync(GO_TOOL_SRC).sort()) {
    if (f.endsWith('.go')) h.update(f).update(readFileSync(join(GO_TOOL_SRC, f)));
  }
  const dir = join(tmpdir(), `felix-ts-gobtool-${h.digest('hex').slice(0, 16)}`);
  const target = join(dir, 'gobtool');
  if (!existsSync(target)) {
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `gobtool.${process.pid}.tmp`);
    try {
      execFileSync('go', ['build', '-o', tmp, '.'], {
        cwd: GO_TOOL_SRC,
        env: goEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      const err = e as { stderr?: Buffer };
      throw new Error(`building test/protocol/go failed: ${err.stderr?.toString() ?? String(e)}`);
    }
    renameSync(tmp, target); // atomic: a concurrent run sees either no binary or a whole one
  }
  bin = target;
  return bin;
}

/** Runs the tool; throws with its stderr on failure. */
export function runGoTool(args: readonly string[]): string {
  const r = spawnSync(goTool(), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0)
    throw new Error(`gobtool ${args.join(' ')} failed (${r.status}): ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}
