import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSet } from '../../../activities/actions/config-set';
import { PermanentActionError } from '../../../activities/actions/contract';
import { startDemoService, type DemoService } from '../../../examples/demo-service/server';
import { actionContext } from './helpers';

describe('config.set', () => {
  let service: DemoService | undefined;
  afterEach(async () => {
    await service?.close();
    service = undefined;
  });

  it('sets dotted keys in JSON, and undo restores old values and deletes new keys', async () => {
    const ctx = actionContext();
    const file = join(ctx.workspaceRoot, 'app.json');
    writeFileSync(file, JSON.stringify({ limits: { rps: 10 }, name: 'app' }));
    const params = { file: 'app.json', set: { 'limits.rps': 20, 'limits.burst': 5 } };
    const undo = await configSet.execute(params, ctx);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ limits: { rps: 20, burst: 5 }, name: 'app' });
    expect(undo.previous).toEqual({
      'limits.rps': { absent: false, value: 10 },
      'limits.burst': { absent: true },
    });
    await configSet.compensate(params, undo, ctx);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ limits: { rps: 10 }, name: 'app' });
  });

  it('keeps YAML comments and drafts a diff', async () => {
    const ctx = actionContext();
    const file = join(ctx.workspaceRoot, 'app.yaml');
    writeFileSync(file, '# tuned by hand\nlimits:\n  rps: 10 # per pod\n');
    const params = { file: 'app.yaml', set: { 'limits.rps': 15 } };
    const draft = await configSet.draft(params, ctx);
    expect(draft.text).toContain('-  rps: 10 # per pod');
    expect(draft.text).toContain('+  rps: 15 # per pod');
    await configSet.execute(params, ctx);
    expect(readFileSync(file, 'utf8')).toBe('# tuned by hand\nlimits:\n  rps: 15 # per pod\n');
  });

  it('makes the demo service unhealthy with a bad value, and healthy again when compensated', async () => {
    const ctx = actionContext();
    const file = join(ctx.workspaceRoot, 'config.json');
    writeFileSync(
      file,
      readFileSync(join(__dirname, '..', '..', '..', 'examples', 'demo-service', 'config.json')),
    );
    service = await startDemoService(file);
    ctx.allowedHosts = [new URL(service.url).host];
    const health = async (): Promise<number> => (await fetch(`${service!.url}/health`)).status;
    expect(await health()).toBe(200);

    const params = { file: 'config.json', set: { rateLimitRps: -1 }, reloadUrl: `${service.url}/reload` };
    const undo = await configSet.execute(params, ctx);
    expect(service.reloads()).toBe(1);
    expect(await health()).toBe(503);

    await configSet.compensate(params, undo, ctx);
    expect(service.reloads()).toBe(2);
    expect(await health()).toBe(200);
  });

  it('refuses a config that does not parse, naming the file', async () => {
    const ctx = actionContext();
    writeFileSync(join(ctx.workspaceRoot, 'bad.json'), '{ "a": ');
    await expect(configSet.execute({ file: 'bad.json', set: { a: 1 } }, ctx)).rejects.toThrow(
      PermanentActionError,
    );
    await expect(configSet.execute({ file: 'bad.json', set: { a: 1 } }, ctx)).rejects.toThrow(
      /config bad\.json does not parse/,
    );
  });
});

describe('config.set and the environments that own workspace paths', () => {
  it('refuses a file whose folder link leads into another environment’s files, and changes nothing', async () => {
    const ctx = actionContext('task/agent/t1#0', { environmentTargets: { production: { paths: ['prod'] } } });
    mkdirSync(join(ctx.workspaceRoot, 'prod'));
    writeFileSync(join(ctx.workspaceRoot, 'prod', 'app.json'), '{"limit": 1}\n');
    symlinkSync('prod', join(ctx.workspaceRoot, 'staging'));
    await expect(configSet.execute({ file: 'staging/app.json', set: { limit: 2 } }, ctx)).rejects.toThrow(
      /^file "staging\/app\.json" resolves through a symlink to "prod\/app\.json", which belongs to production/,
    );
    expect(readFileSync(join(ctx.workspaceRoot, 'prod', 'app.json'), 'utf8')).toBe('{"limit": 1}\n');
  });
});
