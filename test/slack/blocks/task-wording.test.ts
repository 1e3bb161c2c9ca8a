import {
  approvalEscalationText,
  approvalExpiredText,
  approvalRejectedText,
  approvalReminderText,
  approvalRequestText,
  approvedText,
  DRAFT_EXPIRED_TEXT,
  draftAcceptedText,
  draftRejectedText,
  draftText,
  SUGGESTION_EXPIRED_TEXT,
  suggestionResolvedText,
  suggestionText,
} from '../../../slack/blocks/task-wording';

const at = '2026-03-01T10:00:00.000Z';

describe('rung 0: suggestion wording', () => {
  it('numbers the steps under a line saying Ladder will not run them', () => {
    expect(suggestionText(['POST http://127.0.0.1:4100/deploys', 'GET /health'])).toBe(
      [
        'Suggested (Ladder will not run this; do it yourself if you agree):',
        '1. POST http://127.0.0.1:4100/deploys',
        '2. GET /health',
      ].join('\n'),
    );
  });

  it('closes with who marked it done or dismissed it and when, or that it expired', () => {
    expect(suggestionResolvedText({ resolution: 'done', by: 'U0SRE0002', at })).toBe(
      'Done by U0SRE0002 at 2026-03-01T10:00:00.000Z.',
    );
    expect(suggestionResolvedText({ resolution: 'dismissed', by: 'U0SRE0002', at })).toBe(
      'Dismissed by U0SRE0002 at 2026-03-01T10:00:00.000Z.',
    );
    expect(SUGGESTION_EXPIRED_TEXT).toBe('Expired: nobody marked the suggestion done or dismissed.');
  });
});

describe('rung 1: draft wording', () => {
  it('shows each step of the draft under its number and kind', () => {
    expect(
      draftText([
        { kind: 'http', text: 'POST /deploys\n{"version":"1.42.0"}' },
        { kind: 'shell', text: 'echo hi' },
      ]),
    ).toBe(
      [
        'Draft for review (nothing applied yet):',
        '--- step 1 (http) ---',
        'POST /deploys',
        '{"version":"1.42.0"}',
        '--- step 2 (shell) ---',
        'echo hi',
      ].join('\n'),
    );
  });

  it('closes with who accepted or rejected it (with the reason when one was given), or that it expired', () => {
    expect(draftAcceptedText({ by: 'U0APPR002', at })).toBe(
      'Draft accepted by U0APPR002 at 2026-03-01T10:00:00.000Z; applying.',
    );
    expect(draftRejectedText({ by: 'U0APPR002', at, reason: 'wrong version' })).toBe(
      'Draft rejected by U0APPR002 at 2026-03-01T10:00:00.000Z: wrong version.',
    );
    expect(draftRejectedText({ by: 'U0APPR002', at })).toBe(
      'Draft rejected by U0APPR002 at 2026-03-01T10:00:00.000Z.',
    );
    expect(draftRejectedText({ by: 'U0APPR002', at, reason: '' })).toBe(
      'Draft rejected by U0APPR002 at 2026-03-01T10:00:00.000Z.',
    );
    expect(DRAFT_EXPIRED_TEXT).toBe('Expired: the draft was not reviewed in time.');
  });
});

describe('rung 2: approval wording', () => {
  const steps = [
    { description: 'POST http://127.0.0.1:4100/deploys', blastRadius: 'medium' },
    { description: 'GET /health', blastRadius: 'low' },
  ];

  it('asks with every step and its blast radius, and nothing else when the policy gives no reason', () => {
    expect(approvalRequestText({ steps, reasons: [], typedName: null })).toBe(
      [
        'Needs your approval before it runs:',
        '1. POST http://127.0.0.1:4100/deploys (blast radius: medium)',
        '2. GET /health (blast radius: low)',
      ].join('\n'),
    );
  });

  it("says why it fell back, gives the policy's reasons, and ends with the name to type when one is required", () => {
    expect(
      approvalRequestText({
        fallbackReason: 'daily count bound reached',
        steps: steps.slice(0, 1),
        reasons: [{ rule: 'class', message: 'db changes need a person' }],
        typedName: 'orders-db',
      }),
    ).toBe(
      [
        'Falls back to confirmation: daily count bound reached',
        '1. POST http://127.0.0.1:4100/deploys (blast radius: medium)',
        'Why confirmation:',
        '• [class] db changes need a person',
        'Type "orders-db" to approve.',
      ].join('\n'),
    );
    // An empty reason is no fallback.
    expect(approvalRequestText({ fallbackReason: '', steps: [], reasons: [], typedName: null })).toBe(
      'Needs your approval before it runs:',
    );
  });

  it('reminds and escalates with the task title', () => {
    expect(approvalReminderText('Deploy checkout')).toBe('Still waiting for approval: Deploy checkout');
    expect(approvalEscalationText('Deploy checkout')).toBe(
      'Escalated: still waiting for approval: Deploy checkout',
    );
  });

  it("closes with who approved or rejected (and why) and when, or with the policy's wait in seconds", () => {
    expect(approvedText({ by: 'U0APPR002', at })).toBe(
      'Approved by U0APPR002 at 2026-03-01T10:00:00.000Z; executing.',
    );
    expect(approvalRejectedText({ by: 'U0APPR002', at, reason: 'not today' })).toBe(
      'Rejected by U0APPR002 at 2026-03-01T10:00:00.000Z: not today',
    );
    expect(approvalExpiredText(600_000)).toBe("Expired: nobody approved within the policy's 600 s.");
    expect(approvalExpiredText(1_499)).toBe("Expired: nobody approved within the policy's 1 s.");
  });
});
