// An in-process function: Tributary calls it with each event its trigger passes; a returned
// { type, data } becomes a reply event that re-enters the broker.
export default async function greeter(event, { logger }) {
  const name = typeof event.data === 'object' && event.data?.name ? event.data.name : 'world';
  logger.info({ id: event.id }, 'greeting');
  return { type: 'com.example.greeting', data: { greeting: `Hello, ${name}!` } };
}
