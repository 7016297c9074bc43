/**
 * Secret and ConfigMap lookups against a Topology.
 */
import { SecretMissingError } from '../errors.js';
import type { Topology } from './topology.js';

/** A `secretKeyRef`: the Secret's name and the key in it. */
export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

/** The environment variable a secretKeyRef falls back to: `<NAME>_<KEY>`, upper-cased, other characters → `_`. */
export function secretEnvName(ref: SecretKeyRef): string {
  return `${ref.name}_${ref.key}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/**
 * Resolves a secretKeyRef: from the v1 Secret `namespace/name` in the manifests (`stringData` wins
 * over base64 `data`), else from the environment variable {@link secretEnvName}.
 *
 * @throws SecretMissingError naming both places it looked
 */
export function resolveSecretKeyRef(
  topology: Topology,
  namespace: string,
  ref: SecretKeyRef,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const secret = topology.get('Secret', namespace, ref.name);
  const fromString = secret?.stringData?.[ref.key];
  if (fromString !== undefined) return fromString;
  const fromData = secret?.data?.[ref.key];
  if (fromData !== undefined) return Buffer.from(fromData, 'base64').toString('utf8');
  const envName = secretEnvName(ref);
  const fromEnv = env[envName];
  if (fromEnv !== undefined) return fromEnv;
  const inManifests = secret
    ? `Secret '${namespace}/${ref.name}' has no key '${ref.key}' in data or stringData`
    : `no Secret '${namespace}/${ref.name}' in the manifests`;
  throw new SecretMissingError(
    `secret key '${ref.key}' of '${ref.name}' not found: ${inManifests}, and environment variable ${envName} is not set; add one of them`,
  );
}

/** The `data` of ConfigMap `namespace/name` (`{}` when it has none), or `undefined` when it does not exist. */
export function configMapData(
  topology: Topology,
  namespace: string,
  name: string,
): Readonly<Record<string, string>> | undefined {
  const cm = topology.get('ConfigMap', namespace, name);
  return cm ? (cm.data ?? {}) : undefined;
}

/** Every value of every v1 Secret in the manifests (decoded), for the log scrubber. */
export function secretValues(topology: Topology): string[] {
  const out: string[] = [];
  for (const s of topology.secrets) {
    for (const v of Object.values(s.stringData ?? {})) out.push(v);
    for (const v of Object.values(s.data ?? {}))
      out.push(Buffer.from(v, 'base64').toString('utf8'));
  }
  return out;
}
