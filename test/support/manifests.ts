/** Manifests several end-to-end tests start from. */

/** The `default` Broker with one Trigger `all` that sends every event to `subscriberUri`. */
export const brokerWithTrigger = (
  subscriberUri = 'http://127.0.0.1:9/',
) => `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: all }
spec:
  broker: default
  subscriber: { uri: "${subscriberUri}" }
`;
