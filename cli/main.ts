// Entry point of the `berth` command (through bin/berth.js or `npm run berth --`).
import { run } from './program.ts';

// `berth get … | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

// stdin is opened only by the commands that read it (exec -i, rsh).
process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  get stdin() {
    return process.stdin;
  },
  terminal: process.stdout.isTTY ? process.stdout : undefined,
});
