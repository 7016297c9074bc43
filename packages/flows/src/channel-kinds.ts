/**
 * Channel templates. Which backend carries a channel kind is the registered providers' knowledge
 * (`BackendProvider.channelKinds`, asked through the runtime's BackendRegistry); this module only
 * checks a template as written and reads its channel-level delivery.
 */
import { DeliverySpecSchema, type DeliverySpec, KNOWN_CHANNEL_KINDS } from '@tributary/core';
import type { ChannelTemplate } from './resources.js';

/** The channel kind used when a Channel, Sequence or Parallel has no `channelTemplate`. */
export const DEFAULT_CHANNEL_TEMPLATE: ChannelTemplate = Object.freeze({
  apiVersion: 'messaging.knative.dev/v1',
  kind: 'InMemoryChannel',
});

/**
 * Problems of a `channelTemplate` (unknown kind, bad `spec.delivery`), located relative to it.
 * `knownKinds` are the kinds a template may name. @default the kinds of `KNOWN_CHANNEL_KINDS`
 */
export function validateChannelTemplate(
  template: ChannelTemplate,
  knownKinds: readonly string[] = Object.keys(KNOWN_CHANNEL_KINDS),
): Array<{ path: (string | number)[]; message: string }> {
  const problems: Array<{ path: (string | number)[]; message: string }> = [];
  if (!knownKinds.includes(template.kind))
    problems.push({
      path: ['kind'],
      message: `channel kind '${template.kind}' is not known; use one of ${knownKinds.join(', ')} (a technology package may add more)`,
    });
  const delivery = template.spec?.['delivery'];
  if (delivery !== undefined) {
    const r = DeliverySpecSchema.safeParse(delivery);
    if (!r.success)
      for (const issue of r.error.issues)
        problems.push({
          path: ['spec', 'delivery', ...(issue.path as (string | number)[])],
          message: issue.message,
        });
  }
  return problems;
}

/** The channel-level delivery a template gives (`spec.delivery`), if any and valid. */
export function templateDelivery(template: ChannelTemplate): DeliverySpec | undefined {
  const r = DeliverySpecSchema.safeParse(template.spec?.['delivery']);
  return r.success ? r.data : undefined;
}
