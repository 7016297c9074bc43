// Step 3: ships the order. Customers with a phone number opted into SMS: the reply carries the
// extension `smsoptin: "true"`, which the notify Parallel's sms branch filters on.
export default async function ship(event, { logger }) {
  const order = event.data;
  const trackingNumber = `TRK-${order.id}`;
  logger.info({ orderId: order.id, trackingNumber }, 'order shipped');
  return {
    type: 'com.example.order.shipped',
    data: { ...order, trackingNumber },
    extensions: order.customer?.phone ? { smsoptin: 'true' } : {},
  };
}
