/**
 * The files `tributary create function <name>` writes. Plain ESM JavaScript with JSDoc types, so the
 * project runs with `node` and no build step.
 */

/** Template files by relative path, for a function called `name`. */
export function functionTemplates(name: string): Record<string, string> {
  const type = `com.example.${name}`;
  return {
    'package.json': `${JSON.stringify(
      {
        name,
        version: '0.1.0',
        private: true,
        type: 'module',
        description: `Tributary function ${name}`,
        scripts: { start: 'node server.mjs', test: 'node --test' },
        engines: { node: '>=20.19' },
        dependencies: { '@tributary/function': '^0.1.0' },
      },
      null,
      2,
    )}\n`,

    'handler.mjs': `import { NonRetryableError } from '@tributary/function';

/**
 * The function: called once per CloudEvent the Trigger delivers.
 *
 * - return an event (\`{ type, data, ... }\`) to reply: the broker receives it as a new event;
 * - return nothing to acknowledge without a reply (HTTP 202);
 * - throw NonRetryableError for events that can never succeed (400, sent to the dead-letter sink);
 * - throw anything else to fail retryably (HTTP 500, retried per the Trigger's delivery spec).
 *
 * The same module runs over HTTP (\`npm start\`, see server.mjs) and in-process in \`tributary run\`
 * (a Function with \`spec.module: ./handler.mjs\`).
 *
 * @type {import('@tributary/function').FunctionHandler}
 */
export default async function handler(event, context) {
  const name = /** @type {{ name?: unknown } | undefined} */ (event.data)?.name;
  if (typeof name !== 'string' || name === '') {
    throw new NonRetryableError(\`data.name must be a non-empty string, got \${JSON.stringify(name)}\`);
  }
  context.logger.info({ name }, 'greeting');
  return { type: '${type}.reply', data: { message: \`Hello, \${name}!\` } };
}
`,

    'server.mjs': `import { serve } from '@tributary/function';
import handler from './handler.mjs';

// POST CloudEvents to / (binary, structured or batch mode); GET /healthz for probes.
// SIGTERM and SIGINT finish the requests in flight (up to 10 s) before exiting.
await serve(handler, {
  port: Number(process.env.PORT ?? 8081),
  host: process.env.HOST ?? '127.0.0.1',
  logger: process.env.LOG_LEVEL ?? 'info',
});
`,

    'handler.test.mjs': `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serve } from '@tributary/function';
import handler from './handler.mjs';

const context = { logger: { info() {}, child() { return this; } }, signal: new AbortController().signal };

test('replies with a greeting', async () => {
  const reply = await handler({ type: '${type}', data: { name: 'Ada' } }, context);
  assert.deepEqual(reply, { type: '${type}.reply', data: { message: 'Hello, Ada!' } });
});

test('refuses events without a name', async () => {
  await assert.rejects(Promise.resolve(handler({ type: '${type}', data: {} }, context)), { name: 'NonRetryableError' });
});

test('answers over HTTP: 200 with the reply in binary mode', async () => {
  const server = await serve(handler, { port: 0, logger: 'silent', handleSignals: false });
  try {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/test', 'ce-type': '${type}', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Grace' }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('ce-type'), '${type}.reply');
    assert.deepEqual(await res.json(), { message: 'Hello, Grace!' });
  } finally {
    await server.close();
  }
});
`,

    'function.yaml': `# The function as Tributary sees it, and a Trigger that sends it events.
# Run: npm start (in one terminal), then: tributary run -f broker.yaml -f function.yaml
apiVersion: tributary.dev/v1alpha1
kind: Function
metadata:
  name: ${name}
spec:
  url: http://127.0.0.1:8081/
  # In-process instead (no server needed): replace url with
  # module: ./handler.mjs
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: ${name}
spec:
  broker: default
  filter:
    attributes:
      type: ${type}
  subscriber:
    ref:
      apiVersion: tributary.dev/v1alpha1
      kind: Function
      name: ${name}
`,

    'broker.yaml': `# A broker to try the function with; leave it out if your manifests already have one.
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
`,

    'README.md': `# ${name}

A [Tributary](https://github.com/tributary-dev/tributary) function: \`handler.mjs\` receives CloudEvents
of type \`${type}\` and replies with \`${type}.reply\`.

\`\`\`sh
npm install
npm test                       # unit test + an HTTP round trip
npm start                      # serves on http://127.0.0.1:8081 (PORT, HOST, LOG_LEVEL)
tributary run -f broker.yaml -f function.yaml
tributary send http://127.0.0.1:8080/default/default --type ${type} --source /cli --data '{"name":"Ada"}'
\`\`\`

The reply goes back to the broker as a new event; add a Trigger on \`type: ${type}.reply\` to see it.

- Reply rules: return an event → 200 with the reply; return nothing → 202; throw
  \`NonRetryableError\` → 400 (dead-lettered, not retried); throw anything else → 500 (retried).
- In-process: in \`function.yaml\` replace \`url\` with \`module: ./handler.mjs\`; the same module then
  runs inside \`tributary run\` without a server.
- Health: \`GET /healthz\`. SIGTERM finishes requests in flight (up to 10 s) before exiting.
`,
  };
}
