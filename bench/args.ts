/** Tiny `--name value` / `--flag` reader shared by the bench scripts. */
export const args = process.argv.slice(2);

export function opt(name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
}

export const flag = (name: string): boolean => args.includes(`--${name}`);

/** Run a bench script's async main: exit 0 when it resolves, print the error and exit 1 when it throws. */
export function runScript(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
