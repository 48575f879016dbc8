# syntax=docker/dockerfile:1
# One image for the four services; the command picks one:
#   node dist/<user|point|department|beer>.cjs   (the default CMD runs the user service)
#   node dist/migrate.cjs <service>               (apply migrations and exit)
# Each is one bundled file (scripts/bundle.ts): 13-15 MiB less resident than the same code as 760 modules.
# Base: node:24-alpine. No dependency has a native addon (pg, PGlite's WebAssembly, pino are pure
# JavaScript), so musl costs nothing, and the slim Debian base (~190 MB before our files) would leave
# little of the 250 MB budget. Pin the bases by digest in production: --build-arg NODE_IMAGE=node:24-alpine@sha256:...
ARG NODE_IMAGE=node:24-alpine
ARG GO_IMAGE=golang:1.26-alpine

# grpc-health-probe, for exec probes and manual checks inside the pod; a static binary.
FROM ${GO_IMAGE} AS health-probe
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOBIN=/out
RUN go install -trimpath -ldflags="-s -w" github.com/grpc-ecosystem/grpc-health-probe@v0.4.61

# Bundle the services and the migrate command into dist/*.cjs with the dev dependencies (esbuild). esbuild's
# binary comes from its platform package (@esbuild/linux-x64 or -arm64), so its install script is not needed.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
# The sources as .dockerignore leaves them (no tests, no delivery files).
COPY . .
RUN npm run bundle

# Production dependencies only: the bundles load pg, the tracing SDK and PGlite from node_modules.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
# tini reaps the children of exec probes that time out (node as PID 1 does not) and forwards SIGTERM.
# npm, npx, yarn and corepack are not needed at run time: removing them saves ~20 MB and some CVEs.
# tini is left unpinned on purpose: it comes from the Alpine release of the (digest-pinnable) base.
# hadolint ignore=DL3018
RUN apk add --no-cache tini ca-certificates \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn* /usr/local/bin/yarn /usr/local/bin/yarnpkg \
 && addgroup -S -g 10001 mesh && adduser -S -D -H -u 10001 -G mesh -h /tmp mesh
WORKDIR /app
ENV NODE_ENV=production
# Node options, each for an idle service's memory (docs/benchmarks/README.md, Memory):
# - V8's young generation at 2 MiB a half instead of growing to 16: about 10 MiB less resident, with no
#   measurable change in a server's CPU per call;
# - TLS trusts OpenSSL's store, the CA file below (Alpine's ca-certificates: Mozilla's list, as Node's own;
#   update-ca-certificates adds yours), read when a TLS connection first needs it. With Node's bundled list
#   instead, loading node:tls (which node:http2 does) parses its 118 certificates at once: about 2 MiB.
#   NODE_EXTRA_CA_CERTS still adds to it.
# The memory benchmark reads this line, so it measures what the image runs. A NODE_OPTIONS set in the chart's
# env replaces it.
ENV NODE_OPTIONS="--max-semi-space-size=2 --use-openssl-ca" \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=health-probe /out/grpc-health-probe /usr/local/bin/grpc-health-probe
# Files stay owned by root, so the service cannot change its own code; it writes only to /tmp
# (an emptyDir in Kubernetes, where the root filesystem is read-only).
USER 10001:10001
# gRPC h2c, HTTP/1.1 (Connect, gRPC-Web), admin (/metrics, /healthz, /readyz) when set through <P>_PORT,
# <P>_HTTP_PORT and <P>_ADMIN_PORT as the Helm chart does.
EXPOSE 50051 8080 9090
ENTRYPOINT ["/sbin/tini", "--"]
CMD ["node", "dist/user.cjs"]
