// What a CLI run may touch of the outside world: two output streams and the environment.
// `run(argv, io)` takes one, so tests drive the CLI in-process and read what it printed.

export interface Io {
  stdout: { write(text: string): unknown };
  /** `isTTY` decides whether progress redraws one line or prints only where it starts and ends. */
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
}
