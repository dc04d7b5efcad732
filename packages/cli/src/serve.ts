// `asyncview serve` as a script of its own (`node serve.ts [options] <app module>`), for code and tests that start
// the launcher by module path (`@asyncview/cli/serve`); the installed command is `asyncview serve` (asyncview.ts).

import { launch } from "./launch.ts";

launch(process.argv.slice(2));
