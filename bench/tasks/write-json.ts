import { writeFileSync } from 'node:fs';

/**
 * Writes `value` as JSON, formatted the way the project's Prettier formats JSON files (so a
 * committed result passes `npm run lint`); plain `JSON.stringify` when Prettier cannot run (not
 * installed, or inside a VM without ES module support such as jest's).
 */
export async function writeJson(path: string, value: unknown): Promise<void> {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  try {
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig(path)) ?? {};
    writeFileSync(path, await prettier.format(text, { ...config, filepath: path }));
  } catch {
    writeFileSync(path, text);
  }
}
