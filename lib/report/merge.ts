import { createHash } from "node:crypto";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import type { StoredProfile } from "../profile/profile.ts";
import { readRunProfile, writeRunProfile } from "../profile/run-profile.ts";
import { readRecords, recordsDir, writeRecord } from "../scenario/records.ts";
import type { ScenarioRecord } from "../scenario/types.ts";
import { latestRunId, type PlannedScenario, type RunPlan, readPlan, writePlan } from "./plan.ts";
import { type RunEnd, recordedEnd, reportRun, type WrittenReports } from "./write.ts";

/**
 * Several runs of one cluster, split by storage class or scenario family
 * (several Jobs or Sonobuoy plugins at once, or `amc run`s one after the
 * other), as one run: its plan the union of theirs, its records all of
 * theirs. `amc report --merge DIR...` writes it into a report directory of
 * its own and renders the reports from it, so the certification and its
 * digest are over the merged document. Refused (a UsageError listing every
 * problem): runs of different clusters or suite versions, a case two runs
 * both decided, or different vendor profiles.
 */

export interface StoredRun {
  reportDir: string;
  runId: string;
  plan: RunPlan;
  records: ScenarioRecord[];
  end?: RunEnd;
  profile?: StoredProfile;
}

export interface MergedRun {
  plan: RunPlan;
  records: ScenarioRecord[];
  end: RunEnd;
  profile?: StoredProfile;
}

/** A report directory's run (the newest, or `runId`), as stored. */
export async function readStoredRun(reportDir: string, runId?: string): Promise<StoredRun> {
  const id = runId ?? (await latestRunId(reportDir));
  if (!id) throw new UsageError(`--merge ${reportDir}: no run recorded under ${join(reportDir, "records")}`);
  const plan = await readPlan(reportDir, id);
  if (!plan)
    throw new UsageError(`--merge ${reportDir}: run ${id} has no plan (${recordsDir(reportDir, id)})`);
  const [records, end, profile] = await Promise.all([
    readRecords(reportDir, id),
    recordedEnd(reportDir, id),
    readRunProfile(reportDir, id),
  ]);
  return { reportDir, runId: id, plan, records, ...(end ? { end } : {}), ...(profile ? { profile } : {}) };
}

/** One case's key: scenario, class and fault mode. */
const caseOf = (r: ScenarioRecord) =>
  `${r.scenario} @ ${r.storageClass}${r.failover ? ` (${r.failover.mode})` : ""}`;

/** What makes two runs' cluster the same one. */
function clusterIdentity(plan: RunPlan): string {
  const { provider, name, kubernetesVersion } = plan.cluster;
  const uid = plan.clusterUid ? `, kube-system uid ${plan.clusterUid}` : "";
  return `${provider} cluster "${name}" (Kubernetes ${kubernetesVersion}${uid})`;
}

export function mergeRuns(runs: readonly StoredRun[]): MergedRun {
  const [first] = runs;
  if (!first || runs.length < 2)
    throw new UsageError("--merge needs the report directories of two runs or more");
  const problems: string[] = [];
  const where = (run: StoredRun) => `${run.reportDir} (run ${run.runId})`;
  for (const run of runs.slice(1)) {
    if (clusterIdentity(run.plan) !== clusterIdentity(first.plan)) {
      problems.push(
        `${where(run)} ran on ${clusterIdentity(run.plan)}, ${where(first)} on ${clusterIdentity(first.plan)}: only runs of one cluster merge into one certification`,
      );
    }
    if (run.plan.suite.version !== first.plan.suite.version) {
      problems.push(
        `${where(run)} was made by ${run.plan.suite.name} ${run.plan.suite.version}, ${where(first)} by ${first.plan.suite.version}`,
      );
    }
    if (run.profile?.sha256 !== first.profile?.sha256) {
      problems.push(
        `${where(run)} checked ${run.profile ? `the profile ${run.profile.file}` : "no profile"}, ${where(first)} ${first.profile ? `the profile ${first.profile.file}` : "none"}: one certification checks one set of claims`,
      );
    }
  }
  const decidedBy = new Map<string, StoredRun>();
  for (const run of runs) {
    for (const record of run.records) {
      const other = decidedBy.get(caseOf(record));
      if (other && other !== run) {
        problems.push(`${caseOf(record)} was decided by both ${where(other)} and ${where(run)}`);
      }
      decidedBy.set(caseOf(record), run);
    }
  }
  if (problems.length > 0) {
    throw new UsageError(
      `these runs do not merge into one certification:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }

  const runIds = runs.map((r) => r.runId).sort();
  const runId = `merged-${createHash("sha256").update(runIds.join(",")).digest("hex").slice(0, 12)}`;
  const byName = <T>(items: T[], name: (item: T) => string): T[] => [
    ...new Map(items.map((item) => [name(item), item])).values(),
  ];
  const statuses = runs.map((r) => r.end?.status ?? "interrupted");
  const plan: RunPlan = {
    ...first.plan,
    runId,
    startedAt: runs.map((r) => r.plan.startedAt).sort()[0] as string,
    schedulableNodes: byName(
      runs.flatMap((r) => r.plan.schedulableNodes),
      (n) => n.name,
    ),
    storage: byName(
      runs.flatMap((r) => r.plan.storage),
      (s) => s.className,
    ).sort((a, b) => a.className.localeCompare(b.className)),
    scenarios: mergeScenarios(runs.map((r) => r.plan.scenarios)),
    mergedFrom: runs.map((r) => ({ reportDir: r.reportDir, runId: r.runId })),
  };
  return {
    plan,
    // Filed under the merged run; their evidence still names the namespaces of the run that made them.
    records: runs.flatMap((r) => r.records.map((record) => ({ ...record, runId }))),
    end: {
      finishedAt: runs
        .map((r) => r.end?.finishedAt ?? r.plan.startedAt)
        .sort()
        .at(-1) as string,
      // Complete only when every part is; otherwise the worst part's status.
      status: statuses.includes("interrupted")
        ? "interrupted"
        : statuses.includes("failed")
          ? "failed"
          : "complete",
    },
    ...(first.profile ? { profile: first.profile } : {}),
  };
}

/** The plans' scenarios, each once, in the order the suite lists them; fault modes joined. */
function mergeScenarios(lists: readonly PlannedScenario[][]): PlannedScenario[] {
  const merged = new Map<string, PlannedScenario>();
  for (const scenario of lists.flat()) {
    const seen = merged.get(scenario.id);
    if (!seen) merged.set(scenario.id, { ...scenario });
    else if (scenario.faultModes) {
      seen.faultModes = [...new Set([...(seen.faultModes ?? []), ...scenario.faultModes])];
    }
  }
  return [...merged.values()];
}

/**
 * Writes the merged run under `reportDir`/records/<its id>, as a run of its
 * own, and its reports (reportRun records its end); returns what was written.
 */
export async function writeMergedRun(reportDir: string, merged: MergedRun): Promise<WrittenReports> {
  const { runId } = merged.plan;
  await writePlan(reportDir, merged.plan);
  for (const record of merged.records) await writeRecord(reportDir, record);
  if (merged.profile) await writeRunProfile(reportDir, runId, merged.profile);
  const written = await reportRun(reportDir, runId, merged.end);
  if (!written) throw new Error(`the merged run ${runId} has no plan in ${reportDir}`); // just written
  return written;
}
