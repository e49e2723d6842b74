// Streams into a pod's container on Docker Engine: a command with its stdin, stdout and stderr
// attached (an exec over the engine's hijacked connection, with a TTY when asked), and the
// container's log as a stream. DockerPods checks the container is the pod's before calling these.
import { connect, type Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { BerthError } from '../errors.ts';
import type Docker from 'dockerode';
import { demultiplex } from './docker-pods.ts';
import type { ExecRequest, ExecSession, LogOptions } from './ports.ts';

/**
 * Starts `req.command` in the container as the container's own user, in its working directory
 * and with its environment (the engine's exec inherits both), with no more privileges than it.
 */
export async function startExec(docker: Docker, info: Docker.ContainerInspectInfo, req: ExecRequest): Promise<ExecSession> {
  const exec = await docker.getContainer(info.Id).exec({
    Cmd: req.command,
    AttachStdin: req.stdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: req.tty,
    User: info.Config.User,
    Privileged: false,
  });
  const stream = (await exec.start({ hijack: true, stdin: req.stdin, Tty: req.tty })) as unknown as NodeJS.ReadWriteStream & { destroy(): void; end(): void };
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  if (req.tty) stream.pipe(stdout);
  else docker.modem.demuxStream(stream as never, stdout, stderr);
  const ended = new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  const exitCode = ended.then(async () => {
    stdout.end();
    stderr.end();
    // The engine may report the exec as running for a moment after its output ended.
    for (let i = 0; i < 50; i++) {
      const state = await exec.inspect();
      if (!state.Running) return state.ExitCode ?? -1;
      await new Promise((r) => setTimeout(r, 20));
    }
    return -1;
  });
  return {
    stdout,
    stderr,
    write: (data) => void (req.stdin && stream.write(data)),
    endInput: () => req.stdin && stream.end(),
    resize: async ({ cols, rows }) => {
      if (req.tty) await exec.resize({ w: cols, h: rows } as never).catch(() => undefined);
    },
    exitCode,
    close: () => stream.destroy(),
  };
}

/** The container's log as one stream of stdout and stderr, as `docker logs` would give it. */
export async function logStream(docker: Docker, containerId: string, opts: LogOptions, now = Date.now()): Promise<Readable> {
  const params = {
    stdout: true,
    stderr: true,
    ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
    ...(opts.sinceSeconds !== undefined ? { since: Math.floor(now / 1000) - opts.sinceSeconds } : {}),
  };
  const out = new PassThrough();
  if (opts.follow) {
    const raw = (await docker.getContainer(containerId).logs({ ...params, follow: true })) as unknown as Readable;
    docker.modem.demuxStream(raw, out, out);
    raw.once('end', () => out.end());
    raw.once('error', (err) => out.destroy(err));
    out.once('close', () => raw.destroy());
  } else {
    const raw = (await docker.getContainer(containerId).logs({ ...params, follow: false })) as unknown as Buffer;
    out.end(demultiplex(raw));
  }
  return out;
}

/** An open TCP connection to `host:port`, or a 502 naming `what` and the port when it cannot be made within 10 s. */
export function connectTcp(host: string, port: number, what: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    const fail = (err: Error) => {
      socket.destroy();
      reject(new BerthError(502, 'PortUnreachable', `nothing answers on port ${port} of ${what}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, { suggestion: 'check which port the app listens on, and that it has started' }));
    };
    socket.setTimeout(10_000, () => fail(new Error('timed out')));
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}
