import { scenarioSuite } from "./scenario-suite.ts";

// The ReadWriteOnce scenarios (lib/scenario/scenarios.ts), over every storage class under test.
scenarioSuite("ReadWriteOnce");
