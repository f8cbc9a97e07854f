import { scenarioSuite } from "./scenario-suite.ts";

// The ReadOnlyMany scenarios (lib/scenario/scenarios.ts), over every storage class under test.
scenarioSuite("ReadOnlyMany");
