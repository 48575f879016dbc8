// Every command, in the order the help lists them.
import type { CommandSpec } from "../command.js";
import { beerCommands } from "./beers.js";
import { departmentCommands } from "./departments.js";
import { healthCommands } from "./health.js";
import { pointCommands } from "./points.js";
import { userCommands } from "./users.js";

export const COMMANDS: readonly CommandSpec[] = [
  ...beerCommands,
  ...userCommands,
  ...pointCommands,
  ...departmentCommands,
  ...healthCommands,
];
