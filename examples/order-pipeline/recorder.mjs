// Shows what comes out of the pipeline in Tributary's log: every notification (the Parallel's
// reply) and every rejected order (the validate step's dead-letter sink).
export async function recorder(event, { logger }) {
  logger.info({ recorded: event.type, data: event.data }, 'order-pipeline recorded');
}

export async function rejected(event, { logger }) {
  logger.info(
    {
      rejected: event.type,
      reason: Buffer.from(event.extensions.knativeerrordata ?? '', 'base64').toString(),
      data: event.data,
    },
    'order-pipeline rejected',
  );
}
