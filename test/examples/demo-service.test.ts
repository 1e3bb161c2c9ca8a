import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoService, type DemoService } from '../../examples/demo-service/server';

describe('demo service deploy credential', () => {
  const services: DemoService[] = [];
  const start = async (deployToken?: string): Promise<DemoService> => {
    const file = join(mkdtempSync(join(tmpdir(), 'ladder-demo-')), 'config.json');
    writeFileSync(file, JSON.stringify({ rateLimitRps: 100 }));
    const service = await startDemoService(file, 0, { deployToken });
    services.push(service);
    return service;
  };
  afterEach(async () => {
    for (const s of services.splice(0)) await s.close();
  });
  const deploy = (service: DemoService, authorization?: string) =>
    fetch(`${service.url}/deploys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ service: 'checkout', version: '1.42.0' }),
    });

  it('requires the bearer token on POST /deploys when it has one', async () => {
    const service = await start('demo-token-123');
    expect((await deploy(service)).status).toBe(401);
    expect((await deploy(service, 'Bearer wrong')).status).toBe(401);
    expect((await deploy(service, 'Bearer demo-token-123')).status).toBe(201);
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
  });

  it('needs no credential without one', async () => {
    const service = await start();
    expect((await deploy(service)).status).toBe(201);
  });
});
