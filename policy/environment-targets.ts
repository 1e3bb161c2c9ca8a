// Which environment a step's URLs and workspace paths belong to (the policy's `environmentTargets`).
// A task's `environment` is the agent's word; pins and bounds decide on it. Were it only a label, an
// agent could call a production change "staging" and get staging's autonomy. What an environment
// owns is the operators' word: a step that reaches a place owned by one environment belongs to that
// environment, and a task naming another is refused at submission. Pure: no I/O.
import { posix } from 'node:path';
import { z } from 'zod';

/** One place a step reaches, named by the params field that holds it (`params.url`). */
export type Place =
  | {
      field: string;
      url: string;
      /** The method the step sends to `url` (`GET` for checks and health, `POST` for reloads…). */
      method?: string;
    }
  | { field: string; path: string };

/** What one environment owns: URL prefixes and workspace path prefixes, as the policy writes them. */
export interface OwnedTargets {
  urls?: readonly string[];
  paths?: readonly string[];
}

/** The policy's `environmentTargets`: environment name → what it owns. */
export type EnvironmentTargets = Readonly<Record<string, OwnedTargets>>;

/** Who owns a place: the environment and the prefix that matched, as the policy spells it. */
export interface Owner {
  environment: string;
  /** `environmentTargets.<env>.urls[i]` or `.paths[i]`, for messages. */
  at: string;
  prefix: string;
  /** The reading of the URL that matched, when it is not the plain one (see {@link urlReadings}). */
  readAs?: string;
}

// RFC 3986 §2.3: percent-encoding these changes nothing for a server, so `/%70roduction/` must
// match a `/production/` prefix; every other escape is kept (an encoded `/` is not a separator).
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * `url` in the form prefixes are compared in: WHATWG-parsed (host lower-cased, default port dropped,
 * dot segments resolved), unreserved characters decoded (then dot segments resolved again), without
 * query or fragment, lower-cased: a server that ignores case in paths is common, and matching without
 * case only ever makes more of a URL owned. Without its scheme (`//host/path`): `http://host/` and
 * `https://host/` are one service's two doors (plain http is commonly redirected to https), so
 * whoever owns one owns the other.
 *
 * @returns `undefined` when `url` is not an absolute http(s) URL.
 */
export function comparableUrl(url: string): string | undefined {
  return exactUrl(url)
    ?.replace(/^https?:/, '')
    .toLowerCase();
}

/**
 * The ways a server may read `url`, each in {@link comparableUrl} form, the plain reading first: as
 * sent; with `;parameters` dropped from each path segment (Tomcat, Jetty and Spring route
 * `/a/..;/b` as `/b`); with escaped `/`, `\` and `%` decoded before routing; and with runs of `/`
 * merged. For ownership the safe mistake is to see more of a URL as owned, so a place belongs to
 * the owner of any of its readings.
 *
 * @returns none when `url` is not an absolute http(s) URL.
 */
export function urlReadings(url: string): string[] {
  const plain = comparableUrl(url);
  if (plain === undefined) return [];
  const parsed = new URL(url);
  const path = parsed.pathname;
  const withoutParams = path
    .split('/')
    .map((segment) => segment.replace(/;[^]*$/, ''))
    .join('/');
  const decoded = (p: string): string => p.replace(/%25([0-9A-Fa-f]{2})/g, '%$1').replace(/%2F|%5C/gi, '/');
  const readings = new Set([plain]);
  for (const variant of [withoutParams, decoded(path), decoded(withoutParams)]) {
    const reading = comparableUrl(`${parsed.origin}${variant.replace(/\/{2,}/g, '/')}`);
    if (reading !== undefined) readings.add(reading);
  }
  return [...readings];
}

/**
 * `url` as {@link comparableUrl} makes it, except that it keeps its scheme and the path its case:
 * the form for an allow-list (`bounds.requests`), where folding case would let `/DEPLOYS` through
 * as `/deploys` on a server that tells them apart.
 *
 * @returns `undefined` when `url` is not an absolute http(s) URL.
 */
export function exactUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  const decoded = parsed.pathname.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : escape.toUpperCase();
  });
  // Appended to the origin, never resolved against it: a path such as `//other.host/x` resolved
  // against the origin would name another host (it stays this host's path here).
  const again = new URL(`${parsed.origin}${decoded}`);
  return `${again.origin}${again.pathname}`;
}

/**
 * `path` (relative to the workspace) in the form prefixes are compared in: normalised, without `./`
 * or a trailing `/`, lower-cased (a workspace on a case-insensitive file system is one file for
 * `Prod/` and `prod/`). `.` is the workspace itself.
 */
export function comparablePath(path: string): string {
  const normal = posix.normalize(path).replace(/\/+$/, '');
  const relative = normal.startsWith('./') ? normal.slice(2) : normal;
  return (relative === '' ? '.' : relative).toLowerCase();
}

/**
 * Whether `value` is `prefix` itself or lies under it, at a `/` boundary: `/prod/` owns `/prod` and
 * `/prod/x`, not `/production`. Both in their comparable form.
 */
export function under(value: string, prefix: string): boolean {
  const stem = prefix.replace(/\/+$/, '');
  return value === stem || value.startsWith(`${stem}/`);
}

/**
 * The environment that owns `place`, or `undefined` when none does: the longest matching prefix
 * wins, so `production` may own `https://api/prod/` inside a `staging` that owns `https://api/`.
 * For a URL, the owner of its plain reading (see {@link ownersOf} for every reading's).
 */
export function ownerOf(place: Place, table: EnvironmentTargets): Owner | undefined {
  return ownersOf(place, table)[0];
}

/**
 * Every environment that owns `place` by one of its readings ({@link urlReadings}; a path has one),
 * the plain reading's owner first, each environment once. `readAs` names a reading other than the
 * plain one.
 */
export function ownersOf(place: Place, table: EnvironmentTargets): Owner[] {
  const readings = 'url' in place ? urlReadings(place.url) : [comparablePath(place.path)];
  const owners: Owner[] = [];
  readings.forEach((value, i) => {
    const owner = longestOwner(value, 'url' in place ? 'urls' : 'paths', table);
    if (owner && !owners.some((o) => o.environment === owner.environment))
      owners.push(i === 0 ? owner : { ...owner, readAs: value });
  });
  return owners;
}

function longestOwner(value: string, kind: 'urls' | 'paths', table: EnvironmentTargets): Owner | undefined {
  let best: Owner | undefined;
  let bestLength = -1;
  for (const [environment, owned] of Object.entries(table)) {
    (owned[kind] ?? []).forEach((prefix, i) => {
      const key = kind === 'urls' ? comparableUrl(prefix) : comparablePath(prefix);
      if (key === undefined || key.length <= bestLength || !under(value, key)) return;
      bestLength = key.length;
      best = { environment, at: `environmentTargets.${environment}.${kind}[${i}]`, prefix };
    });
  }
  return best;
}

/**
 * Why the places a task's steps reach do not fit the task's `environment`, one line per place, as
 * `steps[i].params.url: … belongs to production (environmentTargets.production.urls[0] …), not
 * staging`. Empty when the policy declares no `environmentTargets`, or every owned place is the
 * task's environment's. A place no environment owns fits any environment. When any environment
 * owns paths, an absolute path is refused: it cannot be told apart without the worker's folders.
 */
export function reachObjections(
  steps: readonly { index: number; places: readonly Place[] }[],
  environment: string,
  table: EnvironmentTargets | undefined,
): string[] {
  if (!table || Object.keys(table).length === 0) return [];
  const pathsOwned = Object.values(table).some((t) => (t.paths ?? []).length > 0);
  const errors: string[] = [];
  for (const { index, places } of steps) {
    for (const place of places) {
      const where = `steps[${index}].${place.field}`;
      if ('path' in place && pathsOwned && posix.isAbsolute(place.path)) {
        errors.push(
          `${where}: "${place.path}" is absolute, so which environment's files it writes cannot be told (environmentTargets names workspace paths); give it relative to the workspace`,
        );
        continue;
      }
      const owner = ownersOf(place, table).find((o) => o.environment !== environment);
      if (!owner) continue;
      const shown = 'url' in place ? place.url : place.path;
      const read = owner.readAs ? ` (as some servers read it: ${JSON.stringify(owner.readAs)})` : '';
      errors.push(
        `${where}: ${JSON.stringify(shown)}${read} belongs to ${owner.environment} (${owner.at}: ${JSON.stringify(owner.prefix)}), not ${environment}; a task that reaches ${owner.environment} must name it`,
      );
    }
  }
  return errors;
}

/**
 * Whether a write that resolves (after symlinks) to `realPath` stays with the owner of the path the
 * task named: a link from an unowned or a staging folder into production's would otherwise write
 * production's file under a staging label. Both paths relative to the workspace.
 *
 * @returns why not, or `null`.
 */
export function crossesOwner(
  named: string,
  realPath: string,
  table: EnvironmentTargets | undefined,
): string | null {
  if (!table) return null;
  const before = ownerOf({ field: '', path: named }, table)?.environment;
  const after = ownerOf({ field: '', path: realPath }, table)?.environment;
  if (before === after) return null;
  return `"${named}" resolves through a symlink to "${realPath}", which belongs to ${after ?? 'no environment'}, while "${named}" belongs to ${before ?? 'no environment'}`;
}

const urlPrefix = z.string().superRefine((text, ctx) => {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: 'expected an absolute http(s) URL prefix such as https://deploy.example.com/prod/',
    });
    return;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    ctx.addIssue({ code: 'custom', message: `expected an http(s) URL prefix, not ${parsed.protocol}` });
  else if (parsed.search || parsed.hash || text.includes('#'))
    ctx.addIssue({
      code: 'custom',
      message: 'a URL prefix cannot hold a query or fragment (steps are matched by path)',
    });
  else if (parsed.username || parsed.password)
    ctx.addIssue({ code: 'custom', message: 'a URL prefix cannot hold a user name or password' });
});

const pathPrefix = z.string().superRefine((text, ctx) => {
  const normal = posix.normalize(text);
  if (text === '' || text.includes('\u0000'))
    ctx.addIssue({ code: 'custom', message: 'expected a folder or file path relative to the workspace' });
  else if (posix.isAbsolute(normal))
    ctx.addIssue({
      code: 'custom',
      message: 'expected a path relative to the workspace, not an absolute one',
    });
  else if (normal === '..' || normal.startsWith('../'))
    ctx.addIssue({ code: 'custom', message: 'a path prefix cannot climb out of the workspace with ..' });
  else if (comparablePath(text) === '.')
    ctx.addIssue({
      code: 'custom',
      message: 'the whole workspace cannot belong to one environment; name its folders',
    });
});

/** The policy's `environmentTargets` section (cross-checked against `environments` by the loader). */
export const environmentTargetsSchema = z
  .record(
    z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, { message: 'expected an environment name' }),
    z
      .strictObject({
        urls: z.array(urlPrefix).min(1, { message: 'expected at least one URL prefix' }).optional().meta({
          description: 'URL prefixes this environment owns (http.request and config.set URLs)',
        }),
        paths: z.array(pathPrefix).min(1, { message: 'expected at least one path' }).optional().meta({
          description: 'workspace folders or files this environment owns (file.write, config.set)',
        }),
      })
      .refine((t) => t.urls !== undefined || t.paths !== undefined, {
        message: 'expected urls, paths, or both',
      }),
  )
  .meta({
    description:
      'what each environment owns: a step reaching one of its URLs or paths belongs to it, and a task naming another environment is refused',
  });

/**
 * The same prefix owned by two environments (after normalisation), as `[path, message]` pairs for
 * the policy loader: ownership must be unambiguous. Reads the raw document: entries the schema
 * refuses anyway are skipped.
 */
export function ownershipClashes(section: unknown): { path: (string | number)[]; message: string }[] {
  const clashes: { path: (string | number)[]; message: string }[] = [];
  if (typeof section !== 'object' || section === null) return clashes;
  for (const kind of ['urls', 'paths'] as const) {
    const seen = new Map<string, string>();
    for (const [environment, owned] of Object.entries(section as Record<string, unknown>)) {
      const list =
        typeof owned === 'object' && owned !== null ? (owned as Record<string, unknown>)[kind] : undefined;
      if (!Array.isArray(list)) continue;
      list.forEach((prefix: unknown, i) => {
        if (typeof prefix !== 'string') return;
        const key = kind === 'urls' ? comparableUrl(prefix) : comparablePath(prefix);
        if (key === undefined) return;
        const first = seen.get(key);
        if (first !== undefined && first !== environment)
          clashes.push({
            path: ['environmentTargets', environment, kind, i],
            message: `${JSON.stringify(prefix)} is already owned by ${first}; a place belongs to one environment`,
          });
        else seen.set(key, environment);
      });
    }
  }
  return clashes;
}
