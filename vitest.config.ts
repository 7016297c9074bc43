import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkgs = [
  'core',
  'filter',
  'broker',
  'function',
  'cli',
  'testkit',
  'sdk',
  'sources',
  'flows',
  'rabbitmq',
  'redis',
  'kafka',
  'sqlite',
  'transforms',
  'serving',
  'console',
  'auth',
];
/** Tests import workspace packages from their sources, so unit tests need no build. */
const alias = Object.fromEntries([
  // Light entry points (docs/architecture.md, "Lazy technology packages"): before the packages.
  ...['kafka', 'rabbitmq', 'redis'].map((p) => [
    `@tributary/${p}/wiring`,
    fileURLToPath(new URL(`./packages/${p}/src/wiring.ts`, import.meta.url)),
  ]),
  ...['auth', 'flows', 'kafka', 'rabbitmq', 'redis', 'serving', 'sources', 'transforms'].map(
    (p) => [
      `@tributary/${p}/kinds`,
      fileURLToPath(new URL(`./packages/${p}/src/kinds-entry.ts`, import.meta.url)),
    ],
  ),
  ...pkgs.map((p) => [
    `@tributary/${p}`,
    fileURLToPath(new URL(`./packages/${p}/src/index.ts`, import.meta.url)),
  ]),
]);

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
