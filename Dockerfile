# kuma-guard container image: `docker build -t kuma-guard:0.1.0 .`
# Node 24 LTS, pinned by version (bump deliberately; pin a digest in your registry mirror).
ARG NODE_IMAGE=node:24.11.1-bookworm-slim

# --- build: all dependencies, compile TypeScript to dist/ -------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies only ---------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# package.json is needed at run time too: "type": "module" makes dist/*.js ES modules.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schemas ./schemas
COPY policies ./policies
# Numeric, so Kubernetes can enforce runAsNonRoot; matches the Deployment's runAsUser.
USER 65532:65532
# 9443 webhook (HTTPS), 9090 metrics and probes (HTTP). Health is checked by Kubernetes
# probes (deploy/base/deployment.yaml), so no HEALTHCHECK.
EXPOSE 9443 9090
# The image is the CLI too: `serve` by default, any command instead, e.g.
# `docker run --rm -i IMAGE check -` or `docker run --rm -v "$PWD:/src" -w /src IMAGE check deploy/`
# (an absolute path, so that another working directory still finds the program).
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["serve"]
