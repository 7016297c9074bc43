/**
 * The manifest-loader definitions of EventTransform and RequestReply: Knative's validation rules
 * (docs/transforms.md, docs/request-reply.md) and what each needs to be Ready.
 */
import {
  type KindDefinition,
  type ResourceProblem,
  EXTENSION_NAME_PATTERN,
  destinationDependency,
  parseIsoDuration,
  defineKind,
} from '@tributary/core';
import {
  DEFAULT_CORRELATION_ATTRIBUTE,
  DEFAULT_REPLY_ATTRIBUTE,
  EVENTING_V1ALPHA1,
  type EventTransform,
  EventTransformSchema,
  MAX_HELD_REQUESTS_ANNOTATION,
  type RequestReply,
  RequestReplySchema,
} from './resources.js';
import { expressionSyntaxProblem } from './event-transform/jsonata-expression.js';

declare module '@tributary/core' {
  interface KindMap {
    EventTransform: EventTransform;
    RequestReply: RequestReply;
  }
}

/** Attributes a RequestReply may not use for correlation (the CloudEvents core attributes). */
const CORE_ATTRIBUTES = ['id', 'type', 'specversion', 'source'];

/** Knative's EventTransform rules: one transformation, reply only with a sink, reply jsonata xor discard. */
export function validateEventTransform(t: EventTransform): ResourceProblem[] {
  const problems: ResourceProblem[] = [];
  const spec = t.spec;
  if (!spec.jsonata)
    problems.push({
      path: ['spec', 'jsonata'],
      message: 'a transformation is required: set jsonata.expression (the only type there is)',
    });
  else if (!spec.jsonata.expression?.trim())
    problems.push({
      path: ['spec', 'jsonata', 'expression'],
      message: 'expression is required: a JSONata expression that builds the outgoing CloudEvent',
    });
  else syntax(spec.jsonata.expression, ['spec', 'jsonata', 'expression'], problems);
  const reply = spec.reply;
  if (reply) {
    if (!spec.sink)
      problems.push({
        path: ['spec', 'reply'],
        message:
          'reply is set without spec.sink: without a sink the transformed event is the reply; set a sink or remove reply',
      });
    if (reply.jsonata && reply.discard === true)
      problems.push({
        path: ['spec', 'reply'],
        message:
          'set reply.jsonata or reply.discard: true, not both (a reply is transformed or dropped)',
      });
    if (reply.jsonata && !reply.jsonata.expression?.trim())
      problems.push({
        path: ['spec', 'reply', 'jsonata', 'expression'],
        message: 'expression is required: a JSONata expression that builds the reply CloudEvent',
      });
    else if (reply.jsonata?.expression)
      syntax(reply.jsonata.expression, ['spec', 'reply', 'jsonata', 'expression'], problems);
  }
  return problems;
}

function syntax(source: string, path: string[], problems: ResourceProblem[]): void {
  const problem = expressionSyntaxProblem(source);
  if (problem) problems.push({ path, message: problem });
}

function attributeProblem(value: string | undefined, field: string): ResourceProblem[] {
  if (value === undefined) return [];
  const path = ['spec', field];
  if (CORE_ATTRIBUTES.includes(value))
    return [
      {
        path,
        message: `'${value}' is a core CloudEvent attribute (id, type, specversion, source); use an extension name such as the default`,
      },
    ];
  if (!EXTENSION_NAME_PATTERN.test(value))
    return [
      {
        path,
        message: `'${value}' is not a CloudEvents extension name: lower-case ASCII letters and digits only`,
      },
    ];
  return [];
}

/** Knative's RequestReply rules, plus Tributary's annotation. */
export function validateRequestReply(r: RequestReply): ResourceProblem[] {
  const spec = r.spec;
  const problems: ResourceProblem[] = [];
  if (spec.brokerRef.kind.toLowerCase() !== 'broker')
    problems.push({
      path: ['spec', 'brokerRef', 'kind'],
      message: `brokerRef kind must be Broker, got '${spec.brokerRef.kind}'`,
    });
  if (spec.brokerRef.namespace !== undefined)
    problems.push({
      path: ['spec', 'brokerRef', 'namespace'],
      message:
        "brokerRef.namespace is not allowed: the Broker must be in the RequestReply's namespace",
    });
  if (spec.timeout !== undefined && parseIsoDuration(spec.timeout) <= 0)
    problems.push({
      path: ['spec', 'timeout'],
      message: `timeout '${spec.timeout}' must be positive`,
    });
  problems.push(...attributeProblem(spec.correlationAttribute, 'correlationAttribute'));
  problems.push(...attributeProblem(spec.replyAttribute, 'replyAttribute'));
  const correlation = spec.correlationAttribute ?? DEFAULT_CORRELATION_ATTRIBUTE;
  if ((spec.replyAttribute ?? DEFAULT_REPLY_ATTRIBUTE) === correlation)
    problems.push({
      path: ['spec', 'replyAttribute'],
      message: `replyAttribute must differ from correlationAttribute ('${correlation}')`,
    });
  const max = r.metadata.annotations?.[MAX_HELD_REQUESTS_ANNOTATION];
  if (max !== undefined && !/^[1-9]\d{0,6}$/.test(max))
    problems.push({
      path: ['metadata', 'annotations', MAX_HELD_REQUESTS_ANNOTATION],
      message: `'${max}' must be a positive integer (at most 9999999), e.g. "1000"`,
    });
  return problems;
}

/** EventTransform and RequestReply, for `createKindSet(coreKinds, transformsKinds, …)`. */
export const transformsKinds: readonly KindDefinition[] = Object.freeze([
  defineKind<EventTransform>({
    apiVersion: EVENTING_V1ALPHA1,
    kind: 'EventTransform',
    schema: EventTransformSchema,
    validate: validateEventTransform,
    dependencies: (t) =>
      destinationDependency(t.spec.sink, t.metadata.namespace, 'sink', 'SinkResolveFailed'),
  }),
  defineKind<RequestReply>({
    apiVersion: EVENTING_V1ALPHA1,
    kind: 'RequestReply',
    schema: RequestReplySchema,
    validate: validateRequestReply,
    dependencies: (r) => {
      const ns = r.metadata.namespace;
      const broker = r.spec.brokerRef.name;
      return [
        {
          kind: 'Broker',
          namespace: ns,
          name: broker,
          reason: 'BrokerDoesNotExist',
          message: `Broker '${ns}/${broker}' does not exist`,
        },
      ];
    },
  }),
]);
