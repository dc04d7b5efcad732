// Finds the function a syncToAsync call names (module URL + export name) and calls it; used by the pool threads
// and by the inline path in blocking threads. Modules are imported once per thread.

const modules = new Map<string, Promise<Record<string, unknown>>>();

export async function callExport(module: string, exportName: string, args: unknown[]): Promise<unknown> {
  let loading = modules.get(module);
  if (!loading) modules.set(module, (loading = import(module) as Promise<Record<string, unknown>>));
  const mod = await loading;
  const fn = mod[exportName];
  if (typeof fn !== "function") throw new TypeError(`${module} has no function export named ${JSON.stringify(exportName)}`);
  return fn(...args);
}
