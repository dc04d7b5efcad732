// The lifespan app: hooks that misbehave as $ASYNCVIEW_LIFESPAN_FAULT says (a shutdown or startup hook that never
// settles, a startup hook that throws something other than an Error), served by each adapter for test/lifespan.test.ts.

import { App, env, json } from "@asyncview/core";

export const app = new App();
app.get("/hello", () => json({ msg: "Hello, async!" }));

switch (env("ASYNCVIEW_LIFESPAN_FAULT")) {
  case "shutdown-never-settles":
    app.onShutdown(function neverSettles() {
      return new Promise<void>(() => {});
    });
    app.onShutdown(() => console.log("lifespan app: the next shutdown hook ran"));
    break;
  case "startup-never-settles":
    app.onStartup(() => {
      console.log("lifespan app: the startup hook waits forever");
      return new Promise<void>(() => {});
    });
    break;
  case "startup-throws-string":
    app.onStartup(() => {
      throw "startup string";
    });
    break;
  case "startup-throws-null":
    app.onStartup(() => {
      throw null;
    });
    break;
}

export default app;
