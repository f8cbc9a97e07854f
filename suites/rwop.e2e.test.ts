import { scenarioSuite } from "./scenario-suite.ts";

// The ReadWriteOncePod scenarios (lib/scenario/scenarios.ts), over every storage class under test.
scenarioSuite("ReadWriteOncePod");
