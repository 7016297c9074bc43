/** Test helpers: the local RabbitMQ (127.0.0.1:5672, guest/guest). */
import { deleteRabbitmqTopology } from '../src/admin.js';

/** URL of the test server (override with RABBITMQ_URL). */
export const RABBITMQ_URL = process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Deletes queues and exchanges of the test server (missing ones are fine). */
export const deleteTopology = (names: { exchanges?: string[]; queues?: string[] }): Promise<void> =>
  deleteRabbitmqTopology(RABBITMQ_URL, names);
