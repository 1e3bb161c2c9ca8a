import { createServer } from 'node:net';

// Below the kernel's ephemeral range (32768-60999 on Linux), where the dev server's own sockets and
// every "listen on port 0" land: a port chosen there could be taken before its caller binds it (the chaos stack, tests).
const LOW = 20_000;
const HIGH = 32_000;
const handedOut = new Set<number>();

function free(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

/**
 * A free loopback port for a server started later, never the same twice in one process.
 *
 * @throws Error when 200 random tries find none.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (handedOut.has(port)) continue;
    if (await free(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free loopback port found between ${LOW} and ${HIGH}`);
}
