// Bundles the compiled CLI (dist/main.js and every @tributary package it imports) into one
// CommonJS file, ../bundle/main.cjs, so that `tributary run` starts without loading ~330 small
// module files one by one, and so that V8 can keep a code cache of it (bin/code-cache.js;
// docs/architecture.md, "Start-up"). Run after `tsc -b`: `pnpm build`, `pnpm test`, `pnpm bench`
// and the quickstart do. bin/tributary.js uses the bundle only while it is newer than every input
// listed in bundle/bundle.json, and runs from dist otherwise.
//
// What stays as it was:
// - Third-party packages stay separate files, required by a path relative to the bundle that
//   resolves to the very file the package's own importer would load, except the pure-JS packages
//   in INLINE (their ~220 module files are most of the rest of start-up).
// - `import.meta.url` in a bundled module still names the module's compiled file in dist, so asset
//   lookups (console files, function templates) and `createRequire` (undici, prom-client and the
//   OpenTelemetry API, loaded lazily) resolve exactly as they do unbundled.
// - A module imported with `import()` (plugins, commands, backends) runs when it is imported, as
//   before: esbuild wraps it in a function called at that point.
// - What is still imported with `import()` (drivers, jose, the OpenTelemetry SDK, Function modules)
//   goes through `__tributaryImport`, which bin/code-cache.js passes in: Node 20 loses the
//   `import()` callback of a script compiled from a code cache.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cliDir = fileURLToPath(new URL('..', import.meta.url));
const packagesDir = path.dirname(cliDir);
const rootDir = path.dirname(packagesDir);
const outdir = path.join(cliDir, 'bundle');
const { build } = createRequire(import.meta.url)('esbuild');

/**
 * Packages bundled in, with whatever they import: pure JavaScript loaded by every start, that
 * looks up no file relative to its own directory on that path (pino does only for transports,
 * which Tributary does not use).
 */
const INLINE = new Set(['yaml', 'js-yaml', 'zod', 'commander', 'croner', 'pino']);

const insidePackage = (file) => file.split(path.sep).includes('node_modules');

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
      // Only inlined packages' files are bundled, so what they import is inlined as well.
      if (insidePackage(args.importer)) return undefined;
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
      const own = `new URL(${JSON.stringify(relativeImport(args.path))}, __tributaryBundleUrl).href`;
      return { contents: text.replaceAll('import.meta.url', own), loader: 'js' };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: [path.join(cliDir, 'dist/main.js')],
  outfile: path.join(outdir, 'main.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  conditions: ['import', 'node', 'default'],
  legalComments: 'none',
  // Whitespace only (names stay, for stack traces): ~30 % less source text to hold in memory.
  minifyWhitespace: true,
  absWorkingDir: rootDir,
  metafile: true,
  logLevel: 'warning',
  banner: { js: "var __tributaryBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
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
// Every `import(` left in the output is a dynamic import of a file outside the bundle (esbuild
// turned the bundled ones into calls); comments are gone, and no string of ours spells one.
const mainFile = path.join(outdir, 'main.cjs');
const dynamicImport = /(?<![\w$.])import\(/g;
writeFileSync(
  mainFile,
  readFileSync(mainFile, 'utf8').replace(dynamicImport, '__tributaryImport('),
);

// `id` names the bundle's code cache: V8 checks only the length of the source it was made from.
const id = createHash('sha256').update(readFileSync(mainFile)).digest('hex').slice(0, 16);
const meta = { id, inputs: inputs.map((f) => path.relative(outdir, f).split(path.sep).join('/')) };
writeFileSync(path.join(outdir, 'bundle.json'), `${JSON.stringify(meta, null, 1)}\n`);
const kib = Math.round(
  result.metafile.outputs[Object.keys(result.metafile.outputs)[0]].bytes / 1024,
);
console.log(`bundled the CLI into ${path.relative(rootDir, outdir)}/main.cjs (${kib} KiB)`);
