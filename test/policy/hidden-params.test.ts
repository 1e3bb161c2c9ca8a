import { createActionRegistry } from '../../activities/actions/registry';
import { hiddenParamCharacter, hiddenParamObjections } from '../../policy/limits';
import { validateTaskRequest } from '../../policy/validate-task';
import { taskRequest, workflowTestPolicy } from '../helpers/tasks';

// "Trojan Source" in step params: what the approver reads in Slack must be what runs.

const policy = workflowTestPolicy();
const registry = createActionRegistry();

function errorsOf(steps: { action: string; params: Record<string, unknown> }[]): string[] {
  const result = validateTaskRequest(taskRequest('a3', 'ops', steps), policy, registry);
  return result.ok ? [] : result.errors;
}

describe('hidden characters in step params', () => {
  it('refuses a bidirectional override in a command, naming the field, the character and where it is', () => {
    expect(
      errorsOf([{ action: 'shell.exec', params: { command: 'echo "ok \u202E ; rm -rf data"' } }]),
    ).toEqual([
      'steps[0].params.command: holds U+202E (right-to-left override) at character 10; it would show reordered to the approver',
    ]);
  });

  it.each([
    ['\u202A', 'U+202A (left-to-right embedding)'],
    ['\u202D', 'U+202D (left-to-right override)'],
    ['\u2066', 'U+2066 (left-to-right isolate)'],
    ['\u2069', 'U+2069 (pop directional isolate)'],
    ['\u200F', 'U+200F (right-to-left mark)'],
    ['\u061C', 'U+061C (Arabic letter mark)'],
  ])('refuses %j as reordering', (ch, named) => {
    expect(errorsOf([{ action: 'shell.exec', params: { command: `ls ${ch}x` } }])).toEqual([
      `steps[0].params.command: holds ${named} at character 4; it would show reordered to the approver`,
    ]);
  });

  it.each([
    ['\u200B', 'U+200B (zero-width space)'],
    ['\u2060', 'U+2060 (word joiner)'],
    ['\uFEFF', 'U+FEFF (zero-width no-break space, a byte-order mark)'],
    ['\u00AD', 'U+00AD (soft hyphen)'],
    ['\u{E0041}', 'U+E0041 (a tag character)'],
    ['\u3164', 'U+3164 (Hangul filler)'],
  ])('refuses %j as showing nothing', (ch, named) => {
    expect(errorsOf([{ action: 'file.write', params: { path: 'a.txt', content: `ab${ch}c` } }])).toEqual([
      `steps[0].params.content: holds ${named} at character 3; it shows as nothing to the approver, so what they read would differ from what runs`,
    ]);
  });

  it('looks at every string at any depth: an HTTP body, an undo request, a config value, an array', () => {
    const errors = errorsOf([
      {
        action: 'http.request',
        params: {
          method: 'POST',
          url: 'http://127.0.0.1:4199/deploys',
          body: { service: 'web', notes: ['fine', 'bad\u2067'] },
          undo: { method: 'POST', url: 'http://127.0.0.1:4199/undo', body: { why: '\u200Dx' } },
        },
      },
      { action: 'config.set', params: { file: 'app.json', set: { greeting: 'hi\u200Bthere' } } },
    ]);
    expect(errors.map((e) => e.split(': ')[0])).toEqual([
      'steps[0].params.body.notes[1]',
      'steps[0].params.undo.body.why',
      'steps[1].params.set.greeting',
    ]);
  });

  it('refuses a key that holds one, spelling the key out in the path so the error does not reorder', () => {
    const errors = errorsOf([
      {
        action: 'http.request',
        params: { method: 'POST', url: 'http://127.0.0.1:4199/d', body: { 'ad\u202Emin': true } },
      },
    ]);
    expect(errors).toEqual([
      'steps[0].params.body["ad\\u202Emin"]: the key holds U+202E (right-to-left override) at character 3; it would show reordered to the approver',
    ]);
    expect(errors.join('')).not.toContain('\u202E');
  });

  it('refuses one in a header before the header check names it too', () => {
    const errors = errorsOf([
      {
        action: 'http.request',
        params: { method: 'GET', url: 'http://127.0.0.1:4199/d', headers: { 'X-Note': 'a\u202Eb' } },
      },
    ]);
    expect(errors[0]).toBe(
      'steps[0].params.headers.X-Note: holds U+202E (right-to-left override) at character 2; it would show reordered to the approver',
    );
  });

  it('lets legitimate text through: emoji, other scripts, tabs and line breaks, joiners where they join', () => {
    const content = [
      'line one\n\tindented\r\n',
      'emoji: 🚀 👩‍💻 👨‍👩‍👧 🏳️‍🌈 ❤️‍🔥 👍🏽 1️⃣',
      'flag of Scotland: 🏴󠁧󠁢󠁳󠁣󠁴󠁿',
      'Persian: می‌خواهم',
      'Hindi: क्‍ष',
      'Arabic: مرحبا بالعالم, Hebrew: שלום, Japanese: こんにちは, Greek: Ωμέγα',
      'line separator\u2028next',
    ].join('\n');
    expect(
      errorsOf([
        { action: 'file.write', params: { path: 'notes.md', content } },
        {
          action: 'config.set',
          params: { file: 'app.json', set: { banner: 'Déployé 🚀 — 完了', emoji: '👩‍💻' } },
        },
      ]),
    ).toEqual([]);
  });

  it('refuses a joiner that joins nothing: next to ASCII, white space, at either end, or in a key', () => {
    for (const text of [
      'r\u200Dm -rf',
      '\u200D👍',
      '👍\u200D',
      '👍 \u200D👍',
      'a\u200Cb',
      '👍\u200D\u200D👍',
    ])
      expect([text, hiddenParamCharacter(text, true)?.code]).toEqual([text, expect.any(Number)]);
    expect(hiddenParamCharacter('👩\u200D💻', false)).toEqual({
      code: 0x200d,
      name: 'zero-width joiner',
      reorders: false,
      at: 2,
    });
  });

  it('counts the position in characters, not UTF-16 units', () => {
    expect(hiddenParamCharacter('🚀🚀\u202E', true)?.at).toBe(3);
  });

  it('reports one error per string (its first such character), in the request order', () => {
    expect(
      hiddenParamObjections([
        { params: { a: '\u200B\u202E', b: ['x', { c: '\u2066' }] } },
        { params: { command: 'fine' } },
        null,
        { params: '\u200E' },
      ]),
    ).toEqual([
      'steps[0].params.a: holds U+200B (zero-width space) at character 1; it shows as nothing to the approver, so what they read would differ from what runs',
      'steps[0].params.b[1].c: holds U+2066 (left-to-right isolate) at character 1; it would show reordered to the approver',
      'steps[3].params: holds U+200E (left-to-right mark) at character 1; it would show reordered to the approver',
    ]);
  });

  it('walks deep params without overflowing the stack', () => {
    let deep: unknown = 'x\u202E';
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(hiddenParamObjections([{ params: { deep } }])).toHaveLength(1);
  });
});
