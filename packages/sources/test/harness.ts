import { createRuntime, type Runtime } from '@tributary/broker';
import { coreKinds, createKindSet, loadManifestsFromText } from '@tributary/core';
import { createSourcesPlugin, sourcesKinds, type SourcesPluginOptions } from '../src/index.js';

/** The kinds the sources tests load: core's and the sources'. */
export const kinds = createKindSet(coreKinds, sourcesKinds);

/** Starts an in-process runtime with the sources plugin on a free port. */
export async function startRuntime(
  yaml: string,
  options: SourcesPluginOptions & { file?: string } = {},
): Promise<{ runtime: Runtime; url: string }> {
  const { topology, problems } = loadManifestsFromText(
    [{ file: options.file ?? 'test.yaml', text: yaml }],
    { kinds },
  );
  if (problems.length > 0)
    throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  const runtime = createRuntime({ topology, port: 0, plugins: [createSourcesPlugin(options)] });
  const url = await runtime.start();
  return { runtime, url };
}

/** Validation problems of a manifest text (`path: message`). */
export function problemsOf(yaml: string): string[] {
  return loadManifestsFromText([{ file: 'test.yaml', text: yaml }], { kinds }).problems.map(
    (p) => `${p.path}: ${p.message}`,
  );
}
