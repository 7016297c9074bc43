// Step 2: charges the customer (here: invents a payment id).
export default async function charge(event, { logger }) {
  const order = event.data;
  const paymentId = `pay-${order.id}`;
  logger.info({ orderId: order.id, paymentId, total: order.total }, 'order charged');
  return { type: 'com.example.order.charged', data: { ...order, paymentId } };
}
