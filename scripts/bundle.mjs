// Bundles the compiled CLI (dist/agent/cli/main.js, from tsc) and its production dependencies
// into dist/bundle/: the entry felix-ts.js and the chunks its subcommands load on demand.
//
// Why: Node 20 loads the unbundled agent as about 560 files (ours, execa, zod, prom-client,
// winston...), and resolving, reading and compiling them one by one took 260-340 ms before the
// agent's first line ran; the bundle's daemon chunk loads in 95-105 ms (bench/scale.md, "Win 11"). tsc stays
// the type checker and the source of the JavaScript; esbuild only concatenates it.
//
// Kept out of the bundle:
// - @node-rs/crc32, a native addon shipped per platform (the snappy reader requires it at run time
//   from node_modules and falls back to portable code without it);
// - the development tools (dist/tools: the demo, the development PKI and node-forge), which a
//   production install does not carry. The CLI's imports of them stay imports of dist/tools, so
//   `felix-ts demo` and `felix-ts certs` work in a full install and say they are absent otherwise.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
const tools = join(root, 'dist', 'tools') + sep;

/** Imports of dist/tools stay imports, relative to dist/bundle (every output file is there). */
const devToolsOutside = {
  name: 'dev-tools-outside',
  setup(b) {
    b.onResolve({ filter: /\/tools\// }, (args) => {
      const abs = resolve(args.resolveDir, args.path);
      if (!abs.startsWith(tools)) return undefined;
      return { path: `./${relative(outdir, abs).split(sep).join('/')}`, external: true };
    });
  },
};
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { 'felix-ts': 'dist/agent/cli/main.js' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: '[name]-[hash]',
  external: ['@node-rs/crc32'],
  // CommonJS dependencies (winston, prom-client) call require() for Node's own modules; an ES
  // module has none, so every file gets one.
  banner: {
    js: "import { createRequire as __ftsRequire } from 'node:module';\nconst require = __ftsRequire(import.meta.url);",
  },
  plugins: [devToolsOutside],
  logLevel: 'warning',
});
chmodSync(join(outdir, 'felix-ts.js'), 0o755);
