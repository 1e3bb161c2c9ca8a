import { mergeSearchAttributeUpserts } from '../../workflows/upsert-batching';

type Commands = Parameters<typeof mergeSearchAttributeUpserts>[0];

const payload = (text: string) => ({ metadata: {}, data: Buffer.from(JSON.stringify(text)) });
const upsert = (fields: Record<string, ReturnType<typeof payload>>) => ({
  upsertWorkflowSearchAttributes: { searchAttributes: { indexedFields: fields } },
});
const schedule = (activityType: string) => ({ scheduleActivity: { seq: 1, activityType } });

describe('mergeSearchAttributeUpserts: one upsert per workflow task', () => {
  it('merges every upsert into the first one’s place, later values winning, other commands in order', () => {
    const commands = [
      upsert({ Rung: payload('2'), AgentId: payload('a1') }),
      schedule('notify'),
      upsert({ WaitingOn: payload('U0APPR001'), Rung: payload('3') }),
      { completeWorkflowExecution: {} },
    ] as Commands;
    const merged = mergeSearchAttributeUpserts(commands);
    expect(merged).toHaveLength(3);
    expect(merged[0].upsertWorkflowSearchAttributes?.searchAttributes?.indexedFields).toEqual({
      Rung: payload('3'),
      AgentId: payload('a1'),
      WaitingOn: payload('U0APPR001'),
    });
    expect(merged[1]).toBe(commands[1]);
    expect(merged[2]).toBe(commands[3]);
    // The activation's own commands are not changed in place.
    expect(commands[0].upsertWorkflowSearchAttributes?.searchAttributes?.indexedFields).toEqual({
      Rung: payload('2'),
      AgentId: payload('a1'),
    });
  });

  it('leaves an activation with one upsert or none as it was', () => {
    const one = [schedule('executeStep'), upsert({ Outcome: payload('executed') })] as Commands;
    expect(mergeSearchAttributeUpserts(one)).toBe(one);
    const none = [schedule('executeStep')] as Commands;
    expect(mergeSearchAttributeUpserts(none)).toBe(none);
  });
});
