// Runs inside a network namespace of its own (started by `unshare --net`, see netns.ts): brings
// its loopback up, starts the engine, and joins a unix socket (reachable from the machine's own
// namespace through the filesystem) to the engine's port on this namespace's 127.0.0.1. The
// engine listens "on every interface", but this namespace has only loopback, so nothing else on
// the machine — no container, no other host — can reach it. Stops the engine when told to stop.
//
//   netns-main.ts <socket path> <port> <command> [args…]
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { startPipe } from './pipe.ts';

const [socketPath, portText, command, ...args] = process.argv.slice(2);
const port = Number(portText);
if (!socketPath || !command || !Number.isInteger(port)) {
  console.error('usage: netns-main.ts <socket path> <port> <command> [args…]');
  process.exit(2);
}
const lo = spawnSync('ip', ['link', 'set', 'lo', 'up'], { stdio: 'inherit' });
if (lo.status !== 0) {
  console.error('could not bring loopback up in the new network namespace (needs iproute2)');
  process.exit(3);
}
// setpriv ties the engine's life to this process: if this one is killed, so is the engine.
const engine = spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], { stdio: 'inherit' });
engine.once('error', (err) => {
  console.error(`could not start ${command}: ${err.message}`);
  process.exit(4);
});
engine.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
const pipe = await startPipe({ path: socketPath }, { host: '127.0.0.1', port });
chmodSync(socketPath, 0o600);
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(sig, () => {
    void pipe.close();
    engine.kill('SIGTERM');
  });
}
