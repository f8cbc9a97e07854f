import type { Reporter, TestCase } from "vitest/node";
import { formatDuration, say } from "../../lib/progress.ts";

/**
 * For logs that are not a terminal (CI): one plain line when a scenario case
 * starts and one when it ends, with its result and time. On a terminal
 * vitest's own reporter shows the running cases live instead. What a case
 * waits for comes from the runner's heartbeat (lib/progress.ts) in both.
 */
export class ProgressLines implements Reporter {
  private readonly started = new Map<string, number>();

  onTestCaseReady(test: TestCase): void {
    this.started.set(test.id, Date.now());
    say("run", `${test.name}: started`);
  }

  onTestCaseResult(test: TestCase): void {
    const started = this.started.get(test.id);
    const took = started === undefined ? "" : ` in ${formatDuration(Date.now() - started)}`;
    const result = test.result();
    const finding = test.annotations().find((a) => a.type === "finding");
    const what =
      result.state === "skipped"
        ? `skipped${result.note ? ` (${result.note})` : ""}`
        : result.state === "failed"
          ? "FAILED"
          : finding
            ? `passed with a ${finding.message}`
            : result.state;
    say("run", `${test.name}: ${what}${took}`);
  }
}
