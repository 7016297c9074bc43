/**
 * The runtime plugin that turns security on (docs/security.md): it builds the ingress authorizer
 * from the Authentication resource and EventPolicies, gives the runtime Tributary's delivery
 * credentials, serves `/.well-known/jwks.json` and `/.well-known/openid-configuration`, the
 * key-rotation endpoint `POST /admin/v1/keys/rotate`, and reports the policies (with the
 * resources they apply to) in the statuses `tributary get` shows.
 */
import { type RuntimePlugin, sendJson } from '@tributary/broker';
import type { AuthorizationDecision, SecretScrubber } from '@tributary/core';
import { createIngressAuthorizer } from './authorizer.js';
import { DeliveryTokens, openidConfiguration } from './delivery-tokens.js';
import type { SigningKeys } from './signing-keys.js';

/** Path of the key-rotation endpoint (a write endpoint: the admin token applies). */
export const KEY_ROTATE_PATH = '/admin/v1/keys/rotate';
export const JWKS_PATH = '/.well-known/jwks.json';
export const OPENID_CONFIGURATION_PATH = '/.well-known/openid-configuration';

export interface AuthPluginOptions {
  /** The key ring, shared by every plugin generation of a run. */
  readonly keys: SigningKeys;
  /** The issuer URL (`iss`) of Tributary's tokens. @default the server's base URL */
  readonly publicUrl?: string | undefined;
  /** Static token values are added to it, so logs never show them. */
  readonly scrubber?: SecretScrubber | undefined;
  /** Environment for secretKeyRef fallbacks. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** Creates the auth plugin (one per plugin generation; pass the same `keys` to each). */
export function createAuthPlugin(options: AuthPluginOptions): RuntimePlugin {
  return {
    name: 'auth',
    async register(ctx) {
      const log = ctx.logger.child({ component: 'auth' });
      const auth = ctx.topology.byKind('Authentication')[0];
      // With a keys directory or an Authentication the key pair exists from the first start;
      // otherwise it is generated at first use, so a plain embedded run never loads jose.
      if (options.keys.dir !== undefined || auth) await options.keys.init();
      else options.keys.load();
      const issuer = () => trimSlash(options.publicUrl ?? ctx.baseUrl);
      ctx.security.credentials = new DeliveryTokens(options.keys, issuer);
      try {
        const built = createIngressAuthorizer(ctx.topology, { logger: log, env: options.env });
        ctx.security.authorizer = built;
        if (built) {
          options.scrubber?.add(...built.secretValues);
          ctx.statuses.set(
            'Authentication',
            auth!.metadata.namespace,
            auth!.metadata.name,
            true,
            'Ready',
            `every ingress requires a bearer token; defaultAuthorization ${built.defaultAuthorization}`,
          );
          for (const p of built.policies)
            ctx.statuses.set(
              'EventPolicy',
              p.namespace,
              p.name,
              true,
              'Ready',
              p.appliesTo.length
                ? `applies to ${p.appliesTo.join(', ')}`
                : 'applies to no resource',
            );
        } else {
          for (const p of ctx.topology.byKind('EventPolicy'))
            ctx.statuses.set(
              'EventPolicy',
              p.metadata.namespace,
              p.metadata.name,
              true,
              'NotEnforced',
              'no Authentication resource: EventPolicies are enforced only with authentication',
            );
        }
      } catch (err) {
        // Fail closed: a broken Authentication must not open the ingress.
        const message = (err as Error).message;
        const refuse: AuthorizationDecision = {
          allowed: false,
          status: 401,
          message: `authentication is misconfigured; no request is accepted: ${message}`,
        };
        ctx.security.authorizer = { authorize: () => refuse };
        if (auth)
          ctx.statuses.set(
            'Authentication',
            auth.metadata.namespace,
            auth.metadata.name,
            false,
            'InvalidConfig',
            message,
          );
        log.error(
          { err: message },
          'Authentication is not usable: every ingress request is refused',
        );
      }
      ctx.server.route('GET', JWKS_PATH, async (_req, res) =>
        sendJson(res, 200, await options.keys.jwks(), { 'cache-control': 'max-age=60' }),
      );
      ctx.server.route('GET', OPENID_CONFIGURATION_PATH, (_req, res) =>
        sendJson(res, 200, openidConfiguration(issuer())),
      );
      ctx.server.route('POST', KEY_ROTATE_PATH, async (_req, res) => {
        const kid = await options.keys.rotate();
        log.info({ kid }, 'signing key rotated');
        const { keys } = await options.keys.jwks();
        sendJson(res, 200, { kid, keys: keys.map((k) => k.kid) });
      });
    },
  };
}

const trimSlash = (s: string): string => (s.endsWith('/') ? s.slice(0, -1) : s);
