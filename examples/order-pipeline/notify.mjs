// The notify Parallel's branch subscribers: each "sends" a message and replies with a
// com.example.notification.sent event (the Parallel's reply goes to the recorder).
function notification(channel, to, order) {
  return {
    type: 'com.example.notification.sent',
    data: { channel, to, orderId: order.id, trackingNumber: order.trackingNumber },
  };
}

export async function email(event, { logger }) {
  const order = event.data;
  logger.info({ orderId: order.id, to: order.customer?.email }, 'email sent');
  return notification('email', order.customer?.email, order);
}

export async function sms(event, { logger }) {
  const order = event.data;
  logger.info({ orderId: order.id, to: order.customer?.phone }, 'sms sent');
  return notification('sms', order.customer?.phone, order);
}
