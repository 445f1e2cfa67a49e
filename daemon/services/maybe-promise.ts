/**
 * A value now, or later. The data path answers from cached keys without waiting for anything, and
 * every `async` layer costs a promise and a microtask turn per request; hot operations return the
 * value itself when they can and a promise only when they must load something.
 */
export type MaybePromise<T> = T | Promise<T>;

/** `f(value)` now when `value` is here, else once it arrives. */
export function thenMaybe<T, U>(value: MaybePromise<T>, f: (v: T) => U): MaybePromise<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}
