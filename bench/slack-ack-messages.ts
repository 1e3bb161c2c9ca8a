// The IPC messages between the Slack-ack benchmark's driver and the app process it forks.

/** What the app process tells the driver. */
export type AppToDriver =
  /** Listening; `url` is where signed Slack requests go. */
  | { type: 'ready'; url: string }
  /** The watched policy file changed and the store took it (`loaded`) or refused it. */
  | { type: 'policy'; outcome: 'loaded' | 'refused'; detail: string }
  /** Event-loop delay since the last `loop-reset`, in milliseconds. */
  | { type: 'loop'; maxMs: number; p99Ms: number };

/** What the driver asks of the app process. */
export type DriverToApp = { type: 'loop-reset' } | { type: 'loop-report' };
