/**
 * The kinds `tributary` knows: core's and those of every package it wires in, as one immutable
 * KindSet that `run`, `validate`, `match`, `codegen` and `createMesh` all pass to the loader
 * (docs/embedding.md, "Wiring"). Each list comes from its package's light `/kinds` entry, which
 * loads neither plugin code nor a driver.
 */
import { authKinds } from '@tributary/auth/kinds';
import { type KindSet, coreKinds, createKindSet } from '@tributary/core';
import { flowsKinds } from '@tributary/flows/kinds';
import { kafkaKinds } from '@tributary/kafka/kinds';
import { rabbitmqKinds } from '@tributary/rabbitmq/kinds';
import { redisKinds } from '@tributary/redis/kinds';
import { servingKinds } from '@tributary/serving/kinds';
import { sourcesKinds } from '@tributary/sources/kinds';
import { transformsKinds } from '@tributary/transforms/kinds';

/** Every kind of core and of the packages `tributary` wires in. */
export const tributaryKinds: KindSet = createKindSet(
  coreKinds,
  authKinds,
  flowsKinds,
  kafkaKinds,
  servingKinds,
  sourcesKinds,
  rabbitmqKinds,
  redisKinds,
  transformsKinds,
);
