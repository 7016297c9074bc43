/**
 * How Tributary names its connections to Redis (CLIENT SETNAME), RabbitMQ (`connection_name`)
 * and Kafka (`clientId`), so that an operator can tell which process and which part of it a
 * connection belongs to (docs/operations.md, "Connection names"):
 *
 *   tributary-<pid>-<owner>[-<role>]
 *
 * `<owner>` is `broker-<ns>-<name>`, `source-<ns>-<name>` or `channels-<class>`; `<role>` tells
 * connections of one owner apart (`publisher`, `consumer`, `retries`).
 */

/** `tributary-<pid>-<part>`, e.g. `clientName('broker-default-orders')`. */
export function clientName(part: string, pid: number = process.pid): string {
  return `tributary-${pid}-${part}`;
}

/** `<base>-<role>` for one of several connections of an owner; `role` alone without a base. */
export function connectionRole(base: string | undefined, role: string): string {
  return base ? `${base}-${role}` : clientName(role);
}
