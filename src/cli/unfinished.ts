/**
 * A command is over when the promise it returned settles, not when Node runs out of things to
 * wait on. When a command waits on something that can never answer — a connection closed under
 * a library that then waits for ever, with only timers that do not keep the process alive — the
 * event loop empties, Node ends the process, and its exit status is 0 with nothing said: a
 * monitor reads that as healthy. This turns it into an error in words and exit 1.
 */
export function failIfUnfinished(command: string, work: Promise<unknown>): void {
  let finished = false;
  const settled = () => {
    finished = true;
  };
  work.then(settled, settled);
  process.once('beforeExit', () => {
    if (finished) return;
    process.exitCode = 1;
    process.stderr.write(
      `carrel${command ? ` ${command}` : ''}: stopped before it finished: it was left waiting for an answer that can no longer come. This is a fault in Carrel; please report it with the command you ran\n`,
    );
  });
}
