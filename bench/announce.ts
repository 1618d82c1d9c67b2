/** For the bench's own servers (run as child processes): listen on loopback and print the URL the runner waits for. */
import type { Server } from 'node:http';

export function listenAndAnnounce(server: Server, port: number): void {
  server.keepAliveTimeout = 65_000;
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    console.log(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`);
  });
}
