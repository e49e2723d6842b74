// A CLI run as the `berth` process: the process's own streams as the run's io, and its exit with
// the run's code. Shared by the entry of every command (cli/main.ts) and the quick entry of exec
// and rsh (cli/exec-main.ts).
import type { Io } from './io.ts';

/** Runs `run` with the process's io; exits with its code, or answers false (exiting nothing) when `run` leaves argv to another. */
export async function runAsProcess(run: (argv: string[], io: Io) => Promise<number | undefined>): Promise<boolean> {
  // ws's optional native add-ons are not bundled: skip looking for them (a failed require() walks
  // every node_modules up the tree) at each exec, rsh and port-forward.
  process.env.WS_NO_BUFFER_UTIL ??= '1';
  process.env.WS_NO_UTF_8_VALIDATE ??= '1';
  // `berth get … | head` closes the pipe early; that is not an error worth a stack trace.
  const onPipeError = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  };
  process.stdout.on('error', onPipeError);
  // stdin is opened only by the commands that read it (exec -i, rsh).
  const code = await run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    get stdin() {
      return process.stdin;
    },
    terminal: process.stdout.isTTY ? process.stdout : undefined,
  });
  if (code === undefined) {
    process.stdout.off('error', onPipeError);
    return false;
  }
  // The command is done once `run` answers: exit with its code once the output is out, rather than
  // wait for sockets to close (an exec session's closing handshake, the HTTP client's keep-alive).
  const flushed = (stream: NodeJS.WritableStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
