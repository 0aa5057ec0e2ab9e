// Where a command writes: injectable, so tests run commands in-process and read what they printed.

/** A text sink: a terminal or a pipe (`isTTY` decides between progress bars and plain lines). */
export interface TextOut {
  readonly write: (text: string) => unknown;
  readonly isTTY?: boolean;
  /** Terminal width in columns, when a terminal. */
  readonly columns?: number;
}

/** The streams and environment of one CLI invocation. */
export interface CliIo {
  readonly stdout: TextOut;
  readonly stderr: TextOut;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The directory relative paths resolve against. */
  readonly cwd: string;
}

/** The real process's streams. */
export const processIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});

/** A bad command line: the message says what is wrong and what to type instead; exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
