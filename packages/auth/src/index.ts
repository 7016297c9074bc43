export * from './errors.js';
export * from './resources.js';
export * from './token-verifier.js';
export * from './event-policy.js';
export * from './authorizer.js';
export * from './signing-keys.js';
export * from './delivery-tokens.js';
export * from './auth-plugin.js';
