// A small argv parser: positionals, `--flag value` / `--flag=value`, repeatable flags, booleans.
import { UsageError } from './io';

/** What a command accepts: value flags (repeatable or not) and boolean switches. */
export interface ArgSpec {
  readonly values?: readonly string[];
  readonly repeatable?: readonly string[];
  readonly switches?: readonly string[];
}

/** Parsed arguments: positionals in order, the last value of each value flag, all values of repeatable ones. */
export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, string>>;
  readonly lists: Readonly<Record<string, readonly string[]>>;
  readonly switches: ReadonlySet<string>;
}

/** Parses argv against a spec; throws `UsageError` for unknown flags and missing values. */
export const parseArgs = (argv: readonly string[], spec: ArgSpec, usage: string): ParsedArgs => {
  const positionals: string[] = [];
  const values: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  const switches = new Set<string>();
  const known = [...(spec.values ?? []), ...(spec.repeatable ?? []), ...(spec.switches ?? [])];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (spec.switches?.includes(name)) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value.\n\n${usage}`);
      switches.add(name);
      continue;
    }
    if (!spec.values?.includes(name) && !spec.repeatable?.includes(name)) {
      throw new UsageError(`Unknown option --${name}; this command takes ${known.map((k) => `--${k}`).join(', ') || 'no options'}.\n\n${usage}`);
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value.\n\n${usage}`);
      i++;
    }
    if (spec.repeatable?.includes(name)) (lists[name] ??= []).push(value);
    else values[name] = value;
  }
  return { positionals, values, lists, switches };
};
