/**
 * Messages between bench:tasks, the profile hook in the worker's main thread (IPC), and the hook in
 * the worker's other threads (BroadcastChannel).
 */
export type ProfileControl =
  | { type: 'profile-start' }
  | { type: 'profile-started' }
  /** Write each thread's profile into `dir` (a folder that exists). */
  | { type: 'profile-stop'; dir: string }
  /** From the main thread: the files written, its own and those other threads reported. */
  | { type: 'profile-written'; files: string[] }
  /** From another thread to the main thread. */
  | { type: 'written'; file: string }
  | { type: 'profile-error'; message: string };
