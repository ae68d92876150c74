/** `npm run server`: the API server alone, configured from the environment. */
import { runServer } from "./serve.ts";

await runServer();
