// What a CLI run may touch of the outside world: two output streams and the environment.
// `run(argv, io)` takes one, so tests drive the CLI in-process and read what it printed.

export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
}
