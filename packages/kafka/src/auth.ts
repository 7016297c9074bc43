/**
 * Kafka connection security: the Knative Kafka broker's auth Secret (`protocol`,
 * `sasl.mechanism`, `user`, `password`, `ca.crt`, `user.crt`, `user.key`) and KafkaSource's
 * `net` block, both turned into kafkajs `ssl`/`sasl` options.
 */
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { KafkaConfigError } from './errors.js';

/** kafkajs connection security options. */
export type KafkaSecurity = Pick<KafkaConfig, 'ssl' | 'sasl'>;

/** Values read from Secrets (already resolved). */
export interface SecurityValues {
  /** PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL. */
  readonly protocol?: string | undefined;
  /** PLAIN (default), SCRAM-SHA-256 or SCRAM-SHA-512. */
  readonly saslMechanism?: string | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly caCert?: string | undefined;
  readonly userCert?: string | undefined;
  readonly userKey?: string | undefined;
}

const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/** Builds kafkajs options; throws {@link KafkaConfigError} naming the bad field. */
export function kafkaSecurity(v: SecurityValues, where: string): KafkaSecurity {
  const protocol = (v.protocol ?? 'PLAINTEXT').toUpperCase();
  if (!PROTOCOLS.includes(protocol))
    throw new KafkaConfigError(
      `${where}: protocol '${v.protocol}' is not supported; use one of ${PROTOCOLS.join(', ')}`,
    );
  const out: { ssl?: KafkaConfig['ssl']; sasl?: SASLOptions } = {};
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    out.ssl =
      v.caCert || v.userCert || v.userKey
        ? {
            ...(v.caCert ? { ca: [v.caCert] } : {}),
            ...(v.userCert ? { cert: v.userCert } : {}),
            ...(v.userKey ? { key: v.userKey } : {}),
          }
        : true;
  }
  if (protocol.startsWith('SASL')) {
    if (!v.user || !v.password)
      throw new KafkaConfigError(
        `${where}: protocol ${protocol} needs a user and a password; add them to the Secret`,
      );
    const mechanism = (v.saslMechanism ?? 'PLAIN').toUpperCase();
    if (mechanism === 'PLAIN')
      out.sasl = { mechanism: 'plain', username: v.user, password: v.password };
    else if (mechanism === 'SCRAM-SHA-256')
      out.sasl = { mechanism: 'scram-sha-256', username: v.user, password: v.password };
    else if (mechanism === 'SCRAM-SHA-512')
      out.sasl = { mechanism: 'scram-sha-512', username: v.user, password: v.password };
    else
      throw new KafkaConfigError(
        `${where}: sasl.mechanism '${v.saslMechanism}' is not supported; use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`,
      );
  }
  return out;
}
