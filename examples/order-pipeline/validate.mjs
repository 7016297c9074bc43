// Step 1 of the checkout Sequence: checks the order and computes its total. An order without items
// fails the step; the step has no retries, so it goes straight to the step's dead-letter sink.
export default async function validate(event, { logger }) {
  const order = event.data ?? {};
  if (!Array.isArray(order.items) || order.items.length === 0)
    throw new Error(`order ${order.id ?? '?'} has no items`);
  const total = order.items.reduce((sum, i) => sum + i.qty * i.price, 0);
  logger.info({ orderId: order.id, total }, 'order validated');
  return { type: 'com.example.order.validated', data: { ...order, total } };
}
