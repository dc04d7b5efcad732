// Blocking functions the conformance app calls through syncToAsync (each pool thread imports this module by path;
// in the blocking baseline the calls run inline in the request's thread).

export function add(a: number, b: number): number {
  return a + b;
}
