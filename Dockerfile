# felix-ts container image: the bundled CLI (dist/bundle, scripts/bundle.mjs) and the production
# dependencies only, on Debian with the iptables (legacy + nft) and ipset binaries the dataplane runs.
#   docker build -t felix-ts:0.1.0 .

# 1. Build: full dependencies, compile TypeScript to dist/ and bundle the CLI. tools/ is compiled
#    because the CLI's dev-tool commands refer to it; the bundle leaves it out.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY proto ./proto
COPY syncer-client ./syncer-client
COPY agent ./agent
COPY rules ./rules
COPY tools ./tools
COPY scripts/bundle.mjs ./scripts/
RUN npm run build

# 2. Production dependencies only.
FROM node:20-bookworm-slim AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts

# 3. Runtime.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables ipset iproute2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/felix-ts
ENV NODE_ENV=production
COPY package.json ./
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist/bundle ./dist/bundle
COPY proto ./proto
# Root is needed for iptables-restore/ipset; the DaemonSet grants only NET_ADMIN and NET_RAW.
USER root
ENTRYPOINT ["node", "/opt/felix-ts/dist/bundle/felix-ts.js"]
CMD ["run"]
