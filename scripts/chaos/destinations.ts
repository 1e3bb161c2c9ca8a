import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { effectKeyOf } from '../../activities/actions/undo-journal';
import type { StepEffect } from './task-mix';

/** One effect the demo service applied, as `GET /effects` lists it. */
export interface DemoEffectRecord {
  seq: number;
  route: string;
  key: string | null;
}

/** What the checker reads at the destinations (see {@link Destinations}). */
export type DestinationReader = Pick<
  Destinations,
  'demoEffects' | 'sideEffectLines' | 'workspaceFile' | 'configValues'
>;

/** Where the chaos tasks' effects land, read as a person checking them would. */
export class Destinations {
  constructor(
    private readonly demoUrl: string,
    private readonly sideEffectFile: string,
    private readonly workspaceRoot: string,
  ) {}

  /**
   * Every effect the demo service applied (its journal), optionally only those of the effect `key`
   * (`<workflowId>#<step>`, `#undo`, `#reload`...). Each record's `key` is the effect key the
   * Idempotency-Key it came with was made from: two sends of one step under different keys count
   * as the same effect twice.
   */
  async demoEffects(key?: string): Promise<DemoEffectRecord[]> {
    const url = `${this.demoUrl}/effects`;
    const response = await fetch(url);
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    const effects = ((await response.json()) as { effects: DemoEffectRecord[] }).effects.map((e) => ({
      ...e,
      key: e.key === null ? null : effectKeyOf(e.key),
    }));
    return key === undefined ? effects : effects.filter((e) => e.key === key);
  }

  /** The lines shell steps appended to the side-effect file (each is an idempotency key). */
  sideEffectLines(): string[] {
    return readFileSync(this.sideEffectFile, 'utf8').split('\n').filter(Boolean);
  }

  /** A workspace file's text, or null when it does not exist. */
  workspaceFile(path: string): string | null {
    try {
      return readFileSync(join(this.workspaceRoot, path), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /**
   * Whether one step's effect (`execute`) or its undo (`compensate`) is at its destination: the
   * key's line in the side-effect file, the key in the demo service's effects, the reload of a
   * config change, a file's content. What a person checks before answering "it ran".
   */
  async isThere(effect: StepEffect, stage: 'execute' | 'compensate'): Promise<boolean> {
    const undo = stage === 'compensate';
    switch (effect.action) {
      case 'shell.exec':
        return this.sideEffectLines().includes(undo ? `${effect.key}#undo` : effect.key);
      case 'http.request':
        return (await this.demoEffects(undo ? `${effect.key}#undo` : effect.key)).length > 0;
      case 'config.set':
        // Written, then reloaded: the reload is the last part, so it tells the whole step ran.
        return (await this.demoEffects(`${effect.key}#${undo ? 'undo-reload' : 'reload'}`)).length > 0;
      case 'file.write':
        return undo
          ? this.workspaceFile(effect.path) === null
          : this.workspaceFile(effect.path) === effect.content;
    }
  }

  /** The values a config file holds for `keys` (absent keys left out), or null when it is gone. */
  configValues(file: string, keys: readonly string[]): Record<string, unknown> | null {
    const text = this.workspaceFile(file);
    if (text === null) return null;
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return Object.fromEntries(keys.filter((k) => k in parsed).map((k) => [k, parsed[k]]));
  }
}
