export * from './conformance/backend.js';
export * from './conformance/dead-letter-store.js';
export * from './fixtures/events.js';
export * from './http/sink.js';
export * from './ports.js';
export * from './servers/kafka.js';
export * from './errors.js';
