import { scenarioSuite } from "./scenario-suite.ts";

// The ReadWriteMany scenarios (lib/scenario/scenarios.ts), over every storage class under test.
scenarioSuite("ReadWriteMany");
