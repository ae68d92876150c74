# syntax=docker/dockerfile:1
#
# procscope: one image for the API server (the default command) and the agent (docker-compose.yml
# gives it the agent's command). Both run as compiled JavaScript, one file each, built by
# `npm run build` (dist/server.js, dist/agent.js): no transpiler at run time, one process each.
# Node 20 on Debian bookworm, slim, pinned to the release the project is tested on.

# ---- deps: production dependencies, installed where a compiler is at hand --------------------------
FROM node:20.20.2-bookworm-slim AS deps
WORKDIR /app
# better-sqlite3 (the embedded store) uses a prebuilt addon when one matches this platform and
# compiles it otherwise, which takes Python, make and a C++ compiler.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
# package.json's "allowScripts" is npm 11's install-script policy: better-sqlite3 and esbuild may
# run theirs, @scarf/scarf (an analytics hook of swagger-ui-dist) may not. Node 20 ships npm 10,
# which ignores the field and would run them all, so install with the npm the lockfile is made with.
RUN npm install --global npm@11.19.1 --no-audit --no-fund
COPY package.json package-lock.json ./
# No lifecycle scripts here (`prepare` builds dist/, which needs the dev dependencies and the
# sources: the build stage does that); better-sqlite3's own install script is run by rebuild.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm rebuild better-sqlite3 \
    && npm cache clean --force

# ---- build: dist/server.js and dist/agent.js ---------------------------------------------------------
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY --from=deps /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY common ./common
COPY server ./server
COPY agent ./agent
COPY console ./console
RUN npm run build

# ---- runtime: the two bundles, the production node_modules, an unprivileged user --------------------
FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000
WORKDIR /app
# dist/server.js loads better-sqlite3 (a native addon) and swagger-ui-dist's files from here;
# dist/agent.js needs nothing from node_modules on Linux.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
# The built-in console: its sources, and the build `npm run build` made of them (console/dist),
# which the server serves as it is (it rebuilds in memory only when the sources are newer).
COPY console ./console
COPY --from=build /app/console/dist ./console/dist
# The agent's spool (a volume in docker-compose.yml); a new named volume takes this ownership.
RUN mkdir -p /var/lib/procscope/spool && chown -R 1000:1000 /var/lib/procscope
# The node image's unprivileged "node" user, by number: the agent's container mounts the host's
# /etc/passwd (to name the host's users), in which "node" need not exist.
USER 1000:1000
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `procscope-server`: node itself is PID 1's child and gets the signals. The agent's command (see
# docker-compose.yml) is `node dist/agent.js ...`, `procscope-agent`.
CMD ["node", "dist/server.js"]
