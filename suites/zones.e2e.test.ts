import { scenarioSuite } from "./scenario-suite.ts";

// The zones family's scenario that disrupts nothing (rwo-cross-zone), over every storage class
// under test; the zone failover takes a zone down, in suites/zone-failover.disruptive.test.ts.
scenarioSuite("zones");
