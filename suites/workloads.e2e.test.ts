import { scenarioSuite } from "./scenario-suite.ts";

// The workloads family (lib/scenario/scenarios.ts, workloadScenarios): Deployments' rollouts and a
// StatefulSet's move on RWO and RWOP claims, over every storage class under test.
scenarioSuite("workloads");
