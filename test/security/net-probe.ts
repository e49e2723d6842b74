// Connects from inside a container, as a tenant's code would, to a list of addresses and ports
// and says which accepted a TCP connection. Runs Python (the builder image has it) in the
// container, every probe in parallel with a short timeout: a port that drops or refuses the
// connection is closed, one that accepts is open. Only addresses of this machine and of the
// networks the tests make are ever probed.
import { networkInterfaces } from 'node:os';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';

export interface Target {
  host: string;
  port: number;
}

const SCRIPT = `
import json, socket, sys, concurrent.futures as cf
targets = json.loads(sys.argv[1])
def probe(t):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(1.5)
    try:
        s.connect((t["host"], t["port"]))
        return t
    except OSError:
        return None
    finally:
        s.close()
with cf.ThreadPoolExecutor(64) as ex:
    print(json.dumps([t for t in ex.map(probe, targets) if t]))
`;

/** Runs `cmd` in the container; what it printed (stdout and stderr) and its exit code. */
export async function execOutput(docker: Docker, containerId: string, cmd: string[]): Promise<{ text: string; exitCode: number }> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  docker.modem.demuxStream(stream, out, out);
  await new Promise((resolve) => stream.on('end', resolve));
  const { ExitCode } = await exec.inspect();
  return { text: Buffer.concat(chunks).toString('utf8'), exitCode: ExitCode ?? -1 };
}

/** The targets of `targets` that accepted a TCP connection from inside the container, as `host:port`. */
export async function openFrom(docker: Docker, containerId: string, targets: Target[]): Promise<string[]> {
  const out = await execOutput(docker, containerId, ['python3', '-c', SCRIPT, JSON.stringify(targets)]);
  const text = out.text.trim();
  if (out.exitCode !== 0) throw new Error(`the probe failed in ${containerId}: ${text}`);
  return (JSON.parse(text.split('\n').pop()!) as Target[]).map((t) => `${t.host}:${t.port}`).sort();
}

/** Every target of the hosts times the ports. */
export function targets(hosts: string[], ports: number[]): Target[] {
  return hosts.flatMap((host) => ports.map((port) => ({ host, port })));
}

/** This machine's own IPv4 addresses other than loopback (every bridge's gateway among them). */
export function hostAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

/** The addresses .1 to .254 of the /24 the address is in (a pod's subnet as far as a scan goes). */
export function subnet24(address: string): string[] {
  const prefix = address.split('.').slice(0, 3).join('.');
  return Array.from({ length: 254 }, (_, i) => `${prefix}.${i + 1}`);
}

/** The container's address and gateway on its (one) network. */
export async function addressOf(docker: Docker, containerId: string): Promise<{ ip: string; gateway: string; network: string }> {
  const info = await docker.getContainer(containerId).inspect();
  const [network, settings] = Object.entries(info.NetworkSettings.Networks)[0]!;
  return { ip: settings.IPAddress, gateway: settings.Gateway, network };
}
