// The time source of everything that ages (caches, locks, the overlay's timestamps): injectable so
// tests advance time instead of sleeping.

/** Milliseconds since the epoch, like Date.now. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
