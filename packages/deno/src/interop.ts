// Lets a view pass the Request Deno.serve gave it to `fetch` (the proxy pattern): Deno 2.9's fetch fails on a served
// request's body ("reading 'stream'"), so this installs, once, a global fetch that re-wraps a Request input first.

const INSTALLED = Symbol.for("asyncview.fetch-interop");

if (!(INSTALLED in globalThis.fetch)) {
  const nativeFetch = globalThis.fetch;
  const fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> =>
    nativeFetch(input instanceof Request ? new Request(input.url, input) : input, init);
  (globalThis as { fetch: unknown }).fetch = Object.assign(fetch, { [INSTALLED]: true });
}
