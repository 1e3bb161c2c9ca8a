// One port picker for tests and the chaos run: below the kernel's ephemeral range, never the same
// port twice in one process (see scripts/free-port.ts).
export { freePort } from '../../scripts/free-port';
