import { scenarioSuite } from "./scenario-suite.ts";

// Claims that ask for several access modes (lib/scenario/scenarios.ts, mixedModeScenarios), over
// every storage class under test.
scenarioSuite("mixed-modes");
