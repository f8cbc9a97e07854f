import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { UsageError } from "../../lib/errors.ts";
import { listSetting } from "../../lib/list-setting.ts";

/**
 * node:util parseArgs for one subcommand, with errors in the common form:
 * what was wrong, the usage line, and where the full help is.
 */

export interface Command {
  name: string;
  /** "usage: amc run [options]": the first line of the help. */
  usage: string;
  help: string;
}

export function usageError(command: Pick<Command, "name" | "usage">, message: string): UsageError {
  const where = command.name === "" ? "amc" : `amc ${command.name}`;
  const helpCommand = command.name === "" ? "amc --help" : `amc help ${command.name}`;
  return new UsageError(`${where}: ${message}\n${command.usage}\nrun '${helpCommand}' for more`);
}

/** node's messages say much; keep the first sentence and the option it is about. */
function parseArgsMessage(error: Error & { code?: string }): string {
  const option = /'(-[^']*)'/.exec(error.message)?.[1];
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${option}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return (error.message.split(". ")[0] ?? error.message).replace(/^Option /, "option ");
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${/'([^']*)'/.exec(error.message)?.[1] ?? ""}`.trim();
    default:
      return error.message;
  }
}

export function parseCommandArgs<T extends ParseArgsOptionsConfig>(
  command: Command,
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      throw usageError(command, parseArgsMessage(error as Error));
    }
    throw error;
  }
}

/** Repeatable list flags take "a,b" as well as "--flag a --flag b". */
export function listValues(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap(listSetting);
}
