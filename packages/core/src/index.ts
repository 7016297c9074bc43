export * from './cloudevents/cloud-event.js';
export * from './cloudevents/http-binding.js';
export * from './contracts/backend.js';
export * from './contracts/dead-letter-store.js';
export * from './contracts/broker-archive.js';
export * from './contracts/dead-letter-json.js';
export * from './contracts/filter.js';
export * from './contracts/sink.js';
export * from './contracts/source.js';
export * from './contracts/logger.js';
export * from './contracts/provider.js';
export * from './contracts/client-name.js';
export * from './config/duration.js';
export * from './resources/common.js';
export * from './resources/filters.js';
export * from './resources/kinds.js';
export * from './resources/eventtype.js';
export * from './errors.js';
export * from './resources/delivery.js';
export * from './resources/annotations.js';
export * from './resources/flow-annotations.js';
export * from './manifest/types.js';
export * from './manifest/kind-set.js';
export * from './manifest/suggest.js';
export * from './manifest/destinations.js';
export * from './manifest/topology.js';
export * from './manifest/secrets.js';
export * from './manifest/load.js';
export * from './manifest/knative-defaults.js';
export { knativeConfigMapWarnings } from './manifest/knative-configmaps.js';
export { unresolvedReferences, suggestionFor, nameIndex } from './manifest/references.js';
export {
  coreKinds,
  coreKindSet,
  destinationDependency,
  refDependency,
} from './manifest/builtin-kinds.js';
export { formatPath } from './manifest/validate.js';
export * from './config/data-issues.js';
export * from './contracts/security.js';
export * from './security/redact.js';
export * from './security/webhook-signature.js';
export * from './contracts/lazy-backend.js';
