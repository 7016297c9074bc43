export {
  createMemoryBackend,
  MemoryBackend,
  type MemoryBackendOptions,
} from './backends/memory/memory-backend.js';
export {
  memoryBackendProvider,
  memoryBackendConfigSchema,
  type MemoryBackendConfig,
} from './backends/memory/memory-provider.js';
export {
  createHttpServer,
  type HttpServer,
  type HttpServerOptions,
  type RouteMatcher,
  type RouteHandler,
  type RouteContext,
  type RouteOptions,
  type ReadinessReport,
} from './http/http-server.js';
export { type RouteGroup } from './http/route-group.js';
export { HttpError, sendJson, sendError } from './http/http-error.js';
export { readBody, DEFAULT_MAX_BODY_BYTES } from './http/read-body.js';
export {
  createBrokerIngress,
  parseBrokerPath,
  INGRESS_ALLOW,
  type BrokerIngress,
  type BrokerIngressOptions,
  type BrokerIngressTarget,
  type IngestResult,
  type IngestReport,
} from './ingress/broker-ingress.js';
export { prepareIngressEvent, nextTtl, DEFAULT_MAX_TTL } from './ingress/ingress-event.js';
export {
  PublishPath,
  invalidEvents,
  publishFailure,
  describeResource,
  type PublishDestination,
  type PublishResource,
  type PublishReport,
  type PublishPathOptions,
} from './ingress/publish-path.js';
export {
  serveIngress,
  type IngressRoute,
  type IngressRequestTarget,
  type IngressTrace,
} from './ingress/ingress-http.js';
export { withIngressSpan } from './ingress/ingress-span.js';
export {
  SubscriptionMetrics,
  type SubscriptionLabels,
} from './observability/subscription-metrics.js';
export { BackendRegistry, type RegisteredChannelKind } from './runtime/backend-registry.js';
export { StatusBoard, type ResourceStatus } from './runtime/resource-status.js';
export {
  createRuntime,
  type Runtime,
  type RuntimeOptions,
  type ApplyReport,
} from './runtime/runtime.js';
export * from './runtime/naming.js';
export type {
  DeliveryTarget,
  SendOptions,
  SendOutcome,
  SendResponse,
  SendError,
} from './dispatcher/delivery-target.js';
export {
  createHttpTarget,
  createDeliveryAgent,
  type HttpTargetOptions,
  type DeliveryAgentOptions,
} from './dispatcher/http-target.js';
export {
  createFunctionTarget,
  functionUrl,
  type FunctionTargetOptions,
} from './dispatcher/function-target.js';
export {
  isRetryable,
  isRetryableStatus,
  backoffMs,
  retryAfterMs,
  retryDelayMs,
  type DeliveryPolicy,
} from './dispatcher/retry.js';
export {
  withDeadLetterExtensions,
  errorData,
  failureOf,
  type DeliveryFailure,
} from './dispatcher/dead-letter.js';
export {
  createTriggerDispatcher,
  createSubscriptionDispatcher,
  DispatcherClosedError,
  DeadLetterFailedError,
  type DispatchOutcome,
  type DeliveryExhaustion,
  type RedriveResult,
  type AttemptReport,
  type EventDispatcher,
  type SubscriptionDispatcherOptions,
  type TriggerDispatcherOptions,
} from './dispatcher/dispatcher.js';
export type { CarriedOver, PluginContext, RuntimePlugin } from './runtime/plugin.js';
export type { BrokerSubscription, BrokerSubscriptionSpec } from './runtime/plugin-subscriptions.js';
export {
  DestinationResolver,
  ingressTarget,
  type IngressHop,
  type Resolved,
  type ResolveOptions,
  type SecurityHooks,
  type AddressableLookup,
  type Addressable,
  apiGroup,
} from './runtime/destination-resolver.js';
export { readCloudEvents } from './http/read-events.js';
export {
  RuntimeMetrics,
  KNATIVE_DURATION_BUCKETS,
  type BacklogSource,
  type TriggerLabels,
} from './observability/metrics.js';
export {
  ADMIN_API_PREFIX,
  NO_ADMIN_ENDPOINT,
  ADMIN_RESOURCES_PATH,
  kindMatches,
  listResources,
  type ResourceRow,
  type ResourceList,
} from './observability/admin-api.js';
export {
  EventTap,
  type EventTapSource,
  type TapRecord,
  type TapAccepted,
  type TapAttempt,
  type TapOutcome,
  type TapTrigger,
} from './observability/event-tap.js';
export { TRACER_NAME, parseTraceparent, formatTraceparent } from './observability/tracing.js';
export { subscribeOptionsFor, INITIAL_OFFSET_ANNOTATION } from './runtime/subscribe-options.js';
export {
  topologyCorrelationKeys,
  requestReplyKeysIn,
  correlationSecret,
  KNATIVE_SYSTEM_NAMESPACE,
  REQUEST_REPLY_KEYS_SECRET,
} from './runtime/correlation-keys.js';
export {
  createMemoryDeadLetterStore,
  DEFAULT_MEMORY_DEAD_LETTER_CAPACITY,
  type MemoryDeadLetterStoreOptions,
} from './deadletters/memory-dead-letter-store.js';
export {
  type DeadLetterLog,
  type DeadLetterLogBackend,
  type DeadLetterLogRecord,
  type LogBackedStoreOptions,
  createLogBackedDeadLetterStore,
} from './deadletters/log-backed-store.js';
export {
  DeadLetterService,
  entryOf,
  type BrokerRef,
  type RedriveOutcome,
  type EntrySelection,
  type ChannelRef,
  type DeadLetterBackend,
  type ScopedStore,
  type StoreScope,
  channelStoreName,
} from './deadletters/dead-letter-service.js';
export { DeadLetterMetrics } from './deadletters/dead-letter-metrics.js';
export {
  ADMIN_DEADLETTERS_PATH,
  registerDeadLetterRoutes,
  parseBrokerParam,
  type DeadLetterListResponse,
  type RedriveResponse,
  type PurgeResponse,
  type DeadLetterRoutesOptions,
} from './deadletters/dead-letter-api.js';
export {
  EventCatalog,
  autoEventTypeName,
  type CatalogOptions,
  type CatalogEventType,
  type EventTypeOrigin,
} from './catalog/event-catalog.js';
export {
  SchemaAccumulator,
  DEFAULT_INFERENCE_LIMITS,
  type InferenceLimits,
  type JsonSchema,
} from './catalog/schema-inference.js';
export {
  registerCatalogRoutes,
  ADMIN_EVENTTYPES_PATH,
  type EventTypeList,
} from './catalog/catalog-routes.js';
export { brokerErrorCodes, type BrokerErrorCode } from './errors.js';
export {
  type AdminAccess,
  type ServerLimits,
  type TlsFiles,
  DEFAULT_LIMITS,
  isAdminPath,
  isLoopback,
} from './http/server-security.js';
export {
  UNKNOWN_BROKER_LABEL,
  MAX_EVENT_TYPES_PER_BROKER,
  OTHER_EVENT_TYPE_LABEL,
} from './observability/metrics.js';
export {
  TriggerFlowGate,
  type DeliveryGate,
  type AttemptResult,
  type CircuitState,
  type FlowGateHooks,
} from './dispatcher/flow-gate.js';
export { FlowControl, flowStateFile, type FlowStateStore } from './runtime/flow-control.js';
export type {
  ArchivedEvent,
  EventArchive,
  ReplayRecord,
  ReplayState,
  ReplayStore,
} from './archive/archive-types.js';
export {
  MemoryArchive,
  MemoryReplayStore,
  MEMORY_ARCHIVE_CAPACITY,
} from './archive/memory-archive.js';
export { REPLAY_EXTENSION, ReplayManager, compileReplayFilter } from './archive/replay-manager.js';
export { ADMIN_REPLAYS_PATH } from './archive/replay-routes.js';
export {
  SubscribePath,
  isStartFailure,
  type DeliverySubscriptionSpec,
  type RunningDelivery,
  type DeliveryStartFailure,
  type DeliveryIdentity,
  type DeliveryObservers,
} from './subscriptions/subscribe-path.js';
