import { readFileSync } from "node:fs";
import { errorText, exitCodeOf } from "../../lib/errors.ts";
import { type Command, usageError } from "./args.ts";
import { certify, certifyCommand } from "./certify-command.ts";
import { cleanup, cleanupCommand } from "./cleanup-command.ts";
import { cluster, clusterCommand } from "./cluster-command.ts";
import { exitCodesHelp } from "./exit-codes.ts";
import { report, reportCommand } from "./report-command.ts";
import { run, runCommand } from "./run-command.ts";
import { sonobuoy, sonobuoyCommand } from "./sonobuoy-command.ts";

/** `amc`: the subcommands, help and version, and errors turned into exit codes. */

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const commands: Record<string, { command: Command; main: (args: string[]) => Promise<number> }> = {
  run: { command: runCommand, main: run },
  certify: { command: certifyCommand, main: certify },
  report: { command: reportCommand, main: report },
  cluster: { command: clusterCommand, main: cluster },
  cleanup: { command: cleanupCommand, main: cleanup },
  sonobuoy: { command: sonobuoyCommand, main: sonobuoy },
};

const top: Command = {
  name: "",
  usage: "usage: amc <command> [options]",
  help: `usage: amc <command> [options]

End-to-end conformance of Kubernetes volume access modes (ReadWriteOnce, ReadWriteOncePod,
ReadWriteMany), storage class by storage class, with evidence from the control plane.

commands:
  run       run the scenarios on a cluster's storage classes and write the reports
  certify   run them on a vendor profile's classes and check each of its claims
  report    render a stored run's reports again
  cluster   start, stop or inspect a local (or kind) cluster
  cleanup   remove what runs that are gone (killed, or whose cleanup failed) left on a cluster
  sonobuoy  the Sonobuoy plugin's entry point: amc run (or certify) with Sonobuoy's results and progress
  help      show a command's help: amc help run

options:
  -h, --help     this help
  -V, --version  the version

${exitCodesHelp}`,
};

function help(args: string[]): number {
  const [name, ...rest] = args;
  if (rest.length > 0) throw usageError(top, `help takes one command, not ${args.join(" ")}`);
  if (!name) {
    console.log(top.help);
    return 0;
  }
  const entry = commands[name];
  if (!entry) throw usageError(top, `no command ${name}; commands: ${Object.keys(commands).join(", ")}`);
  console.log(entry.command.help);
  return 0;
}

async function dispatch(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    console.error(top.help);
    return 2;
  }
  if (first === "--help" || first === "-h") return help([]);
  if (first === "--version" || first === "-V") {
    console.log(version);
    return 0;
  }
  if (first === "help") return help(rest);
  if (first.startsWith("-")) throw usageError(top, `unknown option ${first}`);
  const entry = commands[first];
  if (!entry)
    throw usageError(top, `unknown command ${first}; commands: ${Object.keys(commands).join(", ")}`);
  return entry.main(rest);
}

/** Runs amc and returns its exit code; what went wrong is on stderr. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (error) {
    // amc's own errors show only what is wrong; a bug shows its stack.
    console.error(errorText(error));
    return exitCodeOf(error);
  }
}
