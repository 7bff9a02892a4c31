/**
 * Node before 22 lacks Promise.withResolvers, which aws-local-stepfunctions uses for every Task
 * state; without it each Task throws and a Catch turns that into an ordinary-looking failure. The
 * project needs Node 22 (package.json engines; scripts/node22.sh), as Lambda's nodejs22.x has: this
 * only keeps a run on an older Node from failing that quietly.
 */
type Resolvers<T> = { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };
const promiseCtor = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof promiseCtor.withResolvers !== 'function') {
  promiseCtor.withResolvers = <T>(): Resolvers<T> => {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
export {};
