import type { SequenceScenario } from './drill-report';
import { doubleRegion } from './double-region';
import { regionOutage, regionReturns, rejoinDetached, sequenceNamed as oneControlPlane, slowInterRegion, type SequenceSpec } from './legs';

/** Every sequence scenario by name: those of drill/legs.ts, and double-region (drill/double-region.ts) built from its legs. */
export const sequenceNamed = (name: SequenceScenario): SequenceSpec =>
  name === 'double-region' ? doubleRegion({ regionOutage, regionReturns, rejoinDetached, slowInterRegion }) : oneControlPlane(name);
