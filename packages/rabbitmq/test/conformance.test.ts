import { describeBackendConformance } from '@tributary/testkit';
import { afterAll } from 'vitest';
import { createRabbitmqBackend, type RabbitmqBackend } from '../src/index.js';
import { RABBITMQ_URL, deleteTopology } from './support.js';

const created: RabbitmqBackend[] = [];
const make = (queueType: 'quorum' | 'classic') => (): RabbitmqBackend => {
  const b = createRabbitmqBackend({
    url: RABBITMQ_URL,
    queueType,
    redeliveryDelayMs: 5,
    maxRedeliveryDelayMs: 50,
  });
  created.push(b);
  return b;
};

describeBackendConformance('rabbitmq (quorum queues)', make('quorum'));
describeBackendConformance('rabbitmq (classic queues)', make('classic'));

afterAll(async () => {
  const exchanges = created.flatMap((b) => b.declared().exchanges);
  const queues = created.flatMap((b) => b.declared().queues);
  await deleteTopology({ exchanges, queues });
});
