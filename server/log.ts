/** Structured JSON logs (pino). Tokens never reach them: see `redact`. */
import { pino } from "pino";

export type Logger = pino.Logger;

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "procscope" },
      redact: {
        paths: [
          "token",
          "*.token",
          "authorization",
          "*.authorization",
          "headers.authorization",
          "INFLUX_TOKEN",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
