/**
 * The address the admin sign-in throttle counts failures against. Behind a reverse proxy every
 * connection comes from the proxy, so with `trustProxy` the address is the last `X-Forwarded-For`
 * entry: the one the proxy itself appended, which a client cannot forge (entries before it can be).
 */
export function clientAddressOf(
  forwardedFor: string | null,
  socketAddress: string | undefined,
  trustProxy: boolean,
): string {
  if (trustProxy && forwardedFor) {
    const last = forwardedFor.split(',').at(-1)?.trim();
    if (last) return last.slice(0, 64);
  }
  return socketAddress ?? 'unknown';
}
