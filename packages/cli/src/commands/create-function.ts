import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { functionTemplates } from './create-function-templates.js';

export interface CreateFunctionOptions {
  /** Target directory; defaults to `./<name>`. */
  dir?: string;
}

/** A resource name: what Kubernetes accepts as a DNS-1123 label. */
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * `tributary create function <name> [--dir <path>]`: scaffolds a function project (handler, server,
 * test, package.json, Function + Trigger manifests, README). Refuses a non-empty directory.
 */
export async function createFunctionCommand(
  name: string,
  opts: CreateFunctionOptions,
): Promise<number> {
  if (!NAME.test(name)) {
    process.stderr.write(
      `function name '${name}' is invalid: use lower-case letters, digits and '-', starting and ending with a letter or digit (e.g. 'greeter')\n`,
    );
    return 1;
  }
  const dir = resolve(opts.dir ?? name);
  let existing: string[] = [];
  try {
    existing = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      process.stderr.write(`cannot use --dir ${dir}: ${(err as Error).message}\n`);
      return 1;
    }
  }
  if (existing.length > 0) {
    process.stderr.write(
      `directory ${dir} is not empty (${existing.slice(0, 3).join(', ')}…); choose another --dir\n`,
    );
    return 1;
  }
  await mkdir(dir, { recursive: true });
  const files = functionTemplates(name);
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  process.stdout.write(
    `created function '${name}' in ${dir}:\n${Object.keys(files)
      .map((f) => `  ${f}\n`)
      .join('')}` +
      `next:\n  cd ${dir} && npm install && npm test\n  npm start\n  tributary run -f broker.yaml -f function.yaml\n`,
  );
  return 0;
}
