// Mints an HS256 token from AUTH_JWT_SECRET (with AUTH_ISSUER and AUTH_AUDIENCE
// when set), for development and tests: `npm run token -- [--scope "mesh:read"]
// [--ttl 3600] [--sub alice]`. Prints only the token, so `export TOKEN=$(npm run -s token)` works.
import { parseArgs } from "node:util";
import { readAuthConfig } from "../services/platform/auth-config.js";
import { signToken } from "../services/platform/auth-token.js";
import { ConfigError } from "../services/platform/config.js";
import { loadConfig } from "../services/platform/service-config.js";

const usage = "usage: AUTH_JWT_SECRET=... npm run -s token -- [--scope 'mesh:read mesh:write'] [--ttl SECONDS] [--sub SUBJECT]";

try {
  const { values } = parseArgs({
    options: {
      scope: { type: "string", default: "mesh:read mesh:write" },
      ttl: { type: "string", default: String(12 * 3600) },
      sub: { type: "string", default: "developer" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help === true) {
    console.log(usage);
  } else {
    const auth = loadConfig(process.env, readAuthConfig);
    const ttl = Number(values.ttl);
    if (auth.keys?.kind !== "secret") {
      console.error(`dev-token: AUTH_JWT_SECRET is not set (tokens for AUTH_JWKS_URL come from its identity provider)\n${usage}`);
      process.exitCode = 2;
    } else if (!Number.isSafeInteger(ttl) || ttl < 1) {
      console.error(`dev-token: --ttl must be a whole number of seconds, got "${values.ttl}"`);
      process.exitCode = 2;
    } else {
      const scopes = values.scope.split(" ").filter((s) => s !== "");
      console.log(await signToken({ secret: auth.keys.secret, issuer: auth.issuer, audience: auth.audience, scopes, subject: values.sub, expiresInSeconds: ttl }));
    }
  }
} catch (err) {
  console.error(`dev-token: ${err instanceof ConfigError || err instanceof TypeError ? err.message : String(err)}\n${usage}`);
  process.exitCode = 2;
}
