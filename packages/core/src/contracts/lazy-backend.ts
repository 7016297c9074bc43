import type {
  Backend,
  EventHandler,
  EventRouter,
  SubscribeOptions,
  Subscription,
} from './backend.js';

/**
 * A {@link Backend} whose implementation (and its driver: kafkajs, amqplib, ioredis…) is imported
 * only on first use, so that registering a provider costs nothing until a manifest uses its broker
 * class (docs/architecture.md, "Lazy technology packages"). `load` runs once, on `start()` (or on
 * the first `publish`/`subscribe`/`deleteSubscription`); a failed load is retried on the next call.
 * Routers set before the load are handed to the implementation once it is there.
 */
export function lazyBackend(kind: string, load: () => Promise<Backend>): Backend {
  let impl: Backend | undefined;
  let loading: Promise<Backend> | undefined;
  const routers = new Map<string, EventRouter | undefined>();

  const loaded = (): Promise<Backend> => {
    loading ??= load().then(
      (b) => {
        impl = b;
        for (const [topic, route] of routers) b.setRouter?.(topic, route);
        routers.clear();
        return b;
      },
      (err: unknown) => {
        loading = undefined;
        throw err;
      },
    );
    return loading;
  };

  const backend: Backend = {
    kind,
    async start() {
      await (await loaded()).start();
    },
    async publish(topic, events) {
      await (await loaded()).publish(topic, events);
    },
    async subscribe(
      topic: string,
      subscription: string,
      handler: EventHandler,
      options: SubscribeOptions,
    ): Promise<Subscription> {
      return (await loaded()).subscribe(topic, subscription, handler, options);
    },
    setRouter(topic, route) {
      if (impl) impl.setRouter?.(topic, route);
      else routers.set(topic, route);
    },
    backlog(topic, subscription) {
      return impl?.backlog?.(topic, subscription);
    },
    // Asked once the broker started, so the implementation is there: its store, if it has one.
    deadLetterStore(broker) {
      return impl?.deadLetterStore?.(broker);
    },
    archive(broker, retentionMs) {
      return impl?.archive?.(broker, retentionMs);
    },
    async deleteSubscription(topic, subscription, o) {
      const b = await loaded();
      await b.deleteSubscription?.(topic, subscription, o);
    },
    async close(options) {
      // Never loaded: nothing connected, nothing to close. Loading: close what it yields.
      if (!loading) return;
      const b = await loading.catch(() => undefined);
      await b?.close(options);
    },
  };
  return backend;
}
