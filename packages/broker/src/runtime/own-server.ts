import type { AddressInfo } from 'node:net';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const ANY = new Set(['0.0.0.0', '::']);

/**
 * Whether `url` addresses the server bound at `address`: same port, and a loopback name, the bound
 * address, or any host when bound to all interfaces. Used to treat a subscriber URI that points at
 * Tributary's own ingress as an ingress hop (it keeps `knativebrokerttl`, so a loop runs down).
 */
export function isOwnServer(url: URL, address: AddressInfo | undefined): boolean {
  if (!address || url.protocol !== 'http:') return false;
  const port = url.port === '' ? 80 : Number(url.port);
  if (port !== address.port) return false;
  const host = url.hostname;
  return (
    LOOPBACK.has(host) ||
    host === address.address ||
    host === `[${address.address}]` ||
    ANY.has(address.address)
  );
}
