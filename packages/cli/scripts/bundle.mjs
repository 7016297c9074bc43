// Bundles the compiled CLI (dist/main.js and every @tributary package it imports) into a few
// ES module files in ../bundle, so that `tributary run` starts without loading ~330 small module
// files one by one (docs/architecture.md, "Start-up"). Run after `tsc -b`: `pnpm build`, `pnpm test`,
// `pnpm bench` and the quickstart do. bin/tributary.js uses the bundle only while it is newer than
// every input listed in bundle/inputs.json, and runs from dist otherwise.
//
// What stays as it was:
// - Third-party packages stay separate files, imported by a path relative to the bundle that
//   resolves to the very file the package's own importer would load, except the pure-JS packages
//   in INLINE (their ~200 module files are most of the rest of start-up).
// - `import.meta.url` in a bundled module still names the module's compiled file in dist, so asset
//   lookups (console files, function templates) and `createRequire` (undici, prom-client and the
//   OpenTelemetry API, loaded lazily) resolve exactly as they do unbundled.
// - Dynamic `import()`s of plugins and commands become separate chunks, loaded when they are now.
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cliDir = fileURLToPath(new URL('..', import.meta.url));
const packagesDir = path.dirname(cliDir);
const rootDir = path.dirname(packagesDir);
const outdir = path.join(cliDir, 'bundle');
const { build } = createRequire(import.meta.url)('esbuild');

/** Pure-JS packages bundled in (no file lookups relative to their own directory). */
const INLINE = new Set(['yaml', 'zod', 'commander', 'croner']);

const packageOf = (specifier) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];

const relativeImport = (file) => {
  const rel = path.relative(outdir, file).split(path.sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
};

const keepThirdPartyInPlace = {
  name: 'keep-third-party-in-place',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData?.resolving || args.path.startsWith('node:')) return undefined;
      const name = packageOf(args.path);
      if (name.startsWith('@tributary/') || INLINE.has(name)) return undefined;
      const r = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { resolving: true },
      });
      if (r.errors.length > 0) return { errors: r.errors };
      // A Node built-in imported without `node:` resolves to no file.
      if (!path.isAbsolute(r.path)) return { path: args.path, external: true };
      return { path: relativeImport(r.path), external: true };
    });
    b.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]dist[\\/].*\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'js' };
      const own = `new URL(${JSON.stringify(relativeImport(args.path))}, import.meta.url).href`;
      return { contents: text.replaceAll('import.meta.url', own), loader: 'js' };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { main: path.join(cliDir, 'dist/main.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  conditions: ['import', 'node', 'default'],
  legalComments: 'none',
  absWorkingDir: rootDir,
  metafile: true,
  logLevel: 'warning',
  // Inlined CommonJS packages call `require`, which an ES module lacks.
  banner: {
    js: "import { createRequire as __tributaryCreateRequire } from 'node:module'; const require = __tributaryCreateRequire(import.meta.url);",
  },
  plugins: [keepThirdPartyInPlace],
});

// The bundle is current while it is newer than every package's last `tsc -b` and the last install.
const inputs = readdirSync(packagesDir)
  .map((p) => path.join(packagesDir, p, 'tsconfig.tsbuildinfo'))
  .filter((file) => {
    try {
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
inputs.push(path.join(rootDir, 'node_modules/.modules.yaml'));
writeFileSync(
  path.join(outdir, 'inputs.json'),
  `${JSON.stringify(inputs.map((f) => path.relative(outdir, f).split(path.sep).join('/')))}\n`,
);
// Which compiled modules each bundle file holds (tests that check what a run loads read it).
const modules = {};
for (const [output, { inputs: held }] of Object.entries(result.metafile.outputs)) {
  if (!output.endsWith('.js')) continue;
  modules[path.basename(output)] = Object.keys(held)
    .filter((input) => input.startsWith('packages/'))
    .map((input) => input.slice('packages/'.length));
}
writeFileSync(path.join(outdir, 'modules.json'), `${JSON.stringify(modules, null, 1)}\n`);
const files = Object.keys(result.metafile.outputs).length;
console.log(`bundled the CLI into ${files} files in ${path.relative(rootDir, outdir)}`);
