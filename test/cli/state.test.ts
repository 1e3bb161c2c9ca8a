import { testServerAddress } from '../helpers/temporal';
import { stateMoveSuite } from '../helpers/state-move';

// Two deployments on the run's dev server, each on its own task queue with its own worker.
stateMoveSuite('ladder state export and import', { source: testServerAddress, target: testServerAddress });
