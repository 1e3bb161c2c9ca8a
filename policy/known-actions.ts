// Pure: the action types Ladder ships handlers for, for checks that must not import the handlers
// themselves (activities/actions/registry.ts does I/O). A test keeps this list equal to the registry's.

/** The built-in action types, sorted. */
export const KNOWN_ACTIONS: readonly string[] = ['config.set', 'file.write', 'http.request', 'shell.exec'];
