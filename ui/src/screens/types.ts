import type { Key } from '../i18n';
import type { CommandError, Host } from '../platform';

/** Runs a host call with a progress label; failures are shown by the app and give `undefined`. */
export type Call = <T>(busy: Key, f: (host: Host) => Promise<T>) => Promise<T | undefined>;

export type LastError = CommandError | null;

/** Runs a host call in the background (live checks while typing): no progress, no error shown. */
export type Quiet = <T>(f: (host: Host) => Promise<T>) => Promise<T | undefined>;
