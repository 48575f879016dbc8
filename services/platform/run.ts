// The process shell of every service: start, then stop on SIGTERM or SIGINT.
// A second signal while stopping exits at once.
import { ConfigError } from "./config.js";

export interface Running {
  stop(): Promise<void>;
}

export function runUntilSignal(name: string, start: () => Promise<Running>): void {
  start().then(
    (running) => {
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) {
          console.error(`${name}: ${signal} again, exiting without waiting`);
          process.exit(130);
        }
        stopping = true;
        running.stop().then(
          () => {
            process.exitCode = 0;
          },
          (err: unknown) => {
            console.error(`${name}: error while stopping`, err);
            process.exitCode = 1;
          },
        );
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    },
    (err: unknown) => {
      if (err instanceof ConfigError) console.error(`${name}: ${err.message}`);
      else console.error(`${name}: failed to start`, err);
      process.exitCode = 1;
    },
  );
}
