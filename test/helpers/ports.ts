import { createServer } from 'node:net';

// Ports handed out for a later bind: chosen below the kernel's ephemeral range (32768-60999 on
// Linux), where every "listen on port 0" and outgoing connection of the dev server and other
// processes lands; a port taken from that range could be grabbed by them before our bind.
const LOW = 20_000;
const HIGH = 32_000;
const handedOut = new Set<number>();

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

/**
 * A free loopback port for a server a test starts later (tests bind to 127.0.0.1 only), outside
 * the ephemeral range and never the same twice in one process.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (handedOut.has(port)) continue;
    if (await tryListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free loopback port found between ${LOW} and ${HIGH}`);
}
