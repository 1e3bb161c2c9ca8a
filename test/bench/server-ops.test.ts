import { parseServerOps, serverOpsPerTask, SERVER_OPS } from '../../bench/tasks/server-ops';

// Lines as the Temporal server exports them (Prometheus text format), trimmed to what matters.
const EXPOSITION = `# HELP service_requests service_requests counter
# TYPE service_requests counter
service_requests{namespace="default",operation="RespondWorkflowTaskCompleted",service_name="frontend"} 40
service_requests{namespace="default",operation="RespondWorkflowTaskCompleted",service_name="history"} 40
service_requests{namespace="other",operation="RespondWorkflowTaskCompleted",service_name="frontend"} 2
service_requests{namespace="default",operation="RespondActivityTaskCompleted",service_name="frontend"} 30
service_requests{namespace="default",operation="AddActivityTask",service_name="matching"} 5
service_requests{namespace="default",operation="QueryWorkflow",service_name="frontend"} 16
service_requests{namespace="default",operation="QueryWorkflow",service_name="history"} 16
service_requests{namespace="default",operation="DescribeWorkflowExecution",service_name="frontend"} 12
service_requests{namespace="default",operation="ExecuteMultiOperation",service_name="frontend"} 3
service_requests{namespace="default",operation="SignalWorkflowExecution",service_name="frontend"} 7
service_requests{namespace="default",operation="RecordActivityTaskHeartbeat",service_name="frontend"} 1
persistence_requests{namespace="default",operation="UpdateWorkflowExecution",service_name="history"} 120
persistence_requests{namespace="default",operation="GetWorkflowExecution",service_name="history"} 99
visibility_persistence_requests{operation="RecordWorkflowExecutionStarted",service_name="history",visibility_index_name="x"} 10
visibility_persistence_requests{operation="UpsertWorkflowExecution",service_name="history",visibility_index_name="x"} 20
visibility_persistence_requests{operation="RecordWorkflowExecutionClosed",service_name="history",visibility_index_name="x"} 10
visibility_persistence_requests{operation="ListWorkflowExecutions",service_name="frontend",visibility_index_name="x"} 500
service_latency_bucket{operation="QueryWorkflow",service_name="frontend",le="0.01"} 9999
not a sample
`;

describe('Temporal server operations from its metrics', () => {
  it('sums each operation over its matching series and ignores the rest', () => {
    const ops = parseServerOps(EXPOSITION);
    expect(ops).toEqual({
      workflowTasks: 42, // both namespaces' frontend calls, not the history service's
      activityTasks: 30,
      activitiesViaMatching: 5,
      queries: 16,
      describes: 12,
      updates: 0,
      multiOperations: 3,
      signals: 7,
      signalsWithStart: 0,
      heartbeats: 1,
      mutableStateWrites: 120,
      visibilityWrites: 40, // started, upserted, closed; never the list reads
    });
  });

  it('counts 0 for what the server has not exported yet', () => {
    const ops = parseServerOps('');
    expect(Object.values(ops)).toEqual(Object.keys(SERVER_OPS).map(() => 0));
  });

  it('gives each operation per task between two readings', () => {
    const before = parseServerOps(EXPOSITION);
    const after = parseServerOps(
      EXPOSITION.replace('service_name="frontend"} 40', 'service_name="frontend"} 340').replace(
        'operation="QueryWorkflow",service_name="frontend"} 16',
        'operation="QueryWorkflow",service_name="frontend"} 166',
      ),
    );
    const perTask = serverOpsPerTask(before, after, 100);
    expect(perTask.workflowTasks).toBe(3);
    expect(perTask.queries).toBe(1.5);
    expect(perTask.activityTasks).toBe(0);
  });
});
