/**
 * Runs every KafkaSink of the topology: each is addressable in-process (a `ref` to
 * `eventing.knative.dev/v1alpha1` KafkaSink from a Trigger, Subscription, flow step or source)
 * and over HTTP at `POST /<ns>/kafkasinks/<name>`; an event is accepted (202) once Kafka
 * acknowledged its record, else the caller gets 503 and retries (its delivery rules apply).
 */
import {
  type IngestResult,
  type PluginContext,
  ingressTarget,
  invalidEvents,
} from '@tributary/broker';
import type { CloudEvent, Loaded } from '@tributary/core';
import { createFlowIngressHandler } from '@tributary/flows';
import { EVENTING_V1ALPHA1, type KafkaSink } from './kafka-sink-resource.js';
import { type KafkaSinkWriter, startKafkaSinkWriter } from './kafka-sink-writer.js';

/** `POST /<ns>/kafkasinks/<name>`. */
export const KAFKA_SINK_PATH = /^\/(?<ns>[^/]+)\/(?<segment>kafkasinks)\/(?<name>[^/]+)\/?$/;

interface SinkState {
  writer?: Promise<KafkaSinkWriter>;
  failed?: string;
}

/** The KafkaSink part of the Kafka plugin. */
export function createKafkaSinks() {
  const states = new Map<string, SinkState>();
  const writers: Promise<KafkaSinkWriter>[] = [];

  const ingestInto =
    (key: string) =>
    async (events: CloudEvent[]): Promise<IngestResult> => {
      const invalid = invalidEvents(events);
      if (invalid) return invalid;
      const state = states.get(key);
      if (!state?.writer)
        return { status: 503, error: `KafkaSink '${key}' is not started`, retryAfterSeconds: 1 };
      try {
        const writer = await state.writer;
        await writer.write(events);
        return { status: 202 };
      } catch (err) {
        return {
          status: 503,
          error: `KafkaSink '${key}' could not write to Kafka: ${(err as Error).message}`,
          retryAfterSeconds: 1,
        };
      }
    };

  return {
    register(ctx: PluginContext) {
      const sinks = ctx.topology.byKind('KafkaSink') as readonly Loaded<KafkaSink>[];
      for (const s of sinks) {
        const { namespace, name } = s.metadata;
        const key = `${namespace}/${name}`;
        states.set(key, {});
        const hop = {
          get url() {
            return `${ctx.baseUrl}/${namespace}/kafkasinks/${name}`;
          },
          ingest: ingestInto(key),
        };
        // A ref's relative uri has no meaning for a sink that writes to a topic: it is ignored.
        ctx.registerAddressable(EVENTING_V1ALPHA1, 'KafkaSink', namespace, name, {
          target: () => ingressTarget(hop),
        });
      }
      if (sinks.length > 0)
        ctx.server.route(
          '*',
          KAFKA_SINK_PATH,
          createFlowIngressHandler(
            (_kind, ns, name) => {
              const key = `${ns}/${name}`;
              return states.has(key) ? { ingest: ingestInto(key) } : undefined;
            },
            ctx.logger.child({ component: 'kafkasink' }),
          ),
        );
    },
    async start(ctx: PluginContext) {
      for (const s of ctx.topology.byKind('KafkaSink') as readonly Loaded<KafkaSink>[]) {
        const { namespace, name } = s.metadata;
        const key = `${namespace}/${name}`;
        const state = states.get(key) ?? {};
        const logger = ctx.logger.child({ sink: `KafkaSink/${key}` });
        const writer = startKafkaSinkWriter(s, ctx.topology, logger);
        writer.catch(() => undefined);
        state.writer = writer;
        writers.push(writer);
        try {
          await writer;
          ctx.statuses.set(
            'KafkaSink',
            namespace,
            name,
            true,
            'Ready',
            `topic ${s.spec.topic} (${s.spec.contentMode} mode)`,
          );
          logger.info({ topic: s.spec.topic, contentMode: s.spec.contentMode }, 'KafkaSink ready');
        } catch (err) {
          state.failed = (err as Error).message;
          ctx.statuses.set(
            'KafkaSink',
            namespace,
            name,
            false,
            'KafkaUnavailable',
            `Kafka at ${s.spec.bootstrapServers.join(',')}: ${state.failed}`,
          );
          logger.error({ err: state.failed }, `KafkaSink ${key} could not connect`);
        }
      }
    },
    async stop() {
      const all = await Promise.allSettled(writers.splice(0));
      await Promise.all(all.map((w) => (w.status === 'fulfilled' ? w.value.close() : undefined)));
    },
  };
}
