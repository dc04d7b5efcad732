// The demo's CPU-bound work, where an event loop does not help: count the primes below n by trial division.
// Deterministic and O(n·√n): n = 100 gives 25; n = 1,000,000 gives 78,498 and takes a few hundred ms.

export function countPrimes(n: number): number {
  let count = 0;
  for (let k = 2; k < n; k++) {
    let prime = true;
    for (let d = 2; d * d <= k; d++) {
      if (k % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}
