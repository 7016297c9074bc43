// The pricing service: answers a request by copying its `correlationid` into `replyid`, which
// is what makes the reply reach the waiting caller of the RequestReply.
const PRICES = { 'A-1': 12, 'B-2': 30 };

export default async function pricing(event) {
  const skus = Array.isArray(event.data?.skus) ? event.data.skus : [event.data?.skus];
  const total = skus.reduce((sum, sku) => sum + (PRICES[sku] ?? 0), 0);
  return {
    type: 'com.example.quote.given',
    extensions: { replyid: event.extensions.correlationid },
    data: { skus, total },
  };
}
