/** Tiny `--name value` / `--flag` reader shared by the bench scripts. */
export const args = process.argv.slice(2);

export function opt(name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
}

export const flag = (name: string): boolean => args.includes(`--${name}`);
