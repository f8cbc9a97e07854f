import type { Reporter, TestCase, TestModule } from "vitest/node";
import { say } from "../../lib/progress.ts";

/**
 * The run's progress as Sonobuoy shows it (`sonobuoy status`): after every
 * case, `{msg, total, completed, failures}` POSTed to the worker sidecar's
 * progress port, which relays it to the aggregator (Sonobuoy v0.57,
 * pkg/worker: /progress on $SONOBUOY_PROGRESS_PORT). `total` is the cases
 * of the suite files collected so far: vitest collects a file when it starts
 * it, so the total grows while the first files run.
 */

export interface ProgressUpdate {
  msg: string;
  total: number;
  completed: number;
  failures: string[];
}

export class SonobuoyProgress implements Reporter {
  private total = 0;
  private completed = 0;
  private readonly failures: string[] = [];
  private warned = false;
  /** The posts in flight, so that the last one is sent before the plugin says it is done. */
  private sending: Promise<void> = Promise.resolve();

  private readonly url: string;
  private readonly post: (url: string, update: ProgressUpdate) => Promise<void>;

  constructor(url: string, post: (url: string, update: ProgressUpdate) => Promise<void> = postJson) {
    this.url = url;
    this.post = post;
  }

  onTestModuleCollected(module: TestModule): void {
    this.total += [...module.children.allTests()].length;
    this.send(`collected ${module.moduleId.split("/").at(-1)}`);
  }

  onTestCaseResult(test: TestCase): void {
    this.completed += 1;
    const state = test.result().state;
    if (state === "failed") this.failures.push(test.name);
    this.send(`${test.name}: ${state}`);
  }

  /** Waits for the updates already sent. */
  flush(): Promise<void> {
    return this.sending;
  }

  private send(msg: string): void {
    const update = { msg, total: this.total, completed: this.completed, failures: [...this.failures] };
    this.sending = this.sending.then(() =>
      this.post(this.url, update).catch((error: Error) => {
        // Progress is a courtesy: the results go through the done file whatever happens here.
        if (!this.warned) say("sonobuoy", `progress update to ${this.url} failed: ${error.message}`);
        this.warned = true;
      }),
    );
  }
}

async function postJson(url: string, update: ProgressUpdate): Promise<void> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(update),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
}
