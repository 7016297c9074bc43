// Module resolve hook (see record-imports.mjs): logs `<specifier> <resolved URL>` per resolution.
import { appendFileSync } from 'node:fs';

let file;

export function initialize(data) {
  file = data?.file;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (file) appendFileSync(file, `${specifier} ${resolved.url}\n`);
  return resolved;
}
