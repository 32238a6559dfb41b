/**
 * Values that are there at once or later (Awaitable, from the storage contract), without making
 * every caller async: a synchronous driver (SQLite) keeps answering in the same tick, with no
 * promise allocated and no microtask queued, while an async one (PostgreSQL) is awaited.
 */
import type { Awaitable } from '../storage/index.js';

export type { Awaitable };

/** isPromise tells a pending value from a present one (any thenable counts). */
export function isPromise<T>(v: Awaitable<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null | undefined)?.then === 'function';
}

/** andThen calls f with v at once when v is present, else once it resolves. */
export function andThen<T, U>(v: Awaitable<T>, f: (t: T) => Awaitable<U>): Awaitable<U> {
  return isPromise(v) ? v.then(f) : f(v);
}

/** all is Promise.all that stays synchronous when every value is present. */
export function all<T>(vs: readonly Awaitable<T>[]): Awaitable<T[]> {
  for (const v of vs) if (isPromise(v)) return Promise.all(vs);
  return vs as T[];
}

/**
 * Steps is code written once for both kinds of driver: a generator that yields each Awaitable
 * it needs (through `yield* wait(v)`) and gets the value back. drive runs it synchronously as
 * long as every value is present and switches to promises at the first pending one.
 */
export type Steps<T> = Generator<unknown, T, unknown>;

/** wait is what a Steps generator yields on: `const x = yield* wait(storage.count())`. */
export function* wait<T>(v: Awaitable<T>): Generator<Awaitable<T>, T, unknown> {
  return (yield v) as T;
}

/** drive runs steps to the end: synchronously while every yielded value is present. */
export function drive<T>(steps: Steps<T>): Awaitable<T> {
  let r = steps.next();
  while (!r.done) {
    if (isPromise(r.value)) return finish(steps, r.value);
    r = steps.next(r.value);
  }
  return r.value;
}

async function finish<T>(steps: Steps<T>, first: Promise<unknown>): Promise<T> {
  let pending: unknown = first;
  for (;;) {
    let got: { ok: true; value: unknown } | { ok: false; error: unknown };
    try {
      got = { ok: true, value: await pending };
    } catch (error) {
      got = { ok: false, error };
    }
    // A rejection is thrown into the generator, where the step that waited on it may catch it.
    const r = got.ok ? steps.next(got.value) : steps.throw(got.error);
    if (r.done) return r.value;
    pending = r.value;
  }
}
