# Build stage: install everything, run the full test suite (lint, types, tests), then build.
# A failing test fails the image build, so no untested image reaches a registry.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json eslint.config.js .mocharc.json ./
COPY src ./src
COPY test ./test
COPY config ./config
COPY scripts ./scripts
# The docs tests read README.md, the image tests this Dockerfile (build stage only: the runtime
# stage copies nothing of them). test/ carries everything else the suite reads, Marathon's
# published payloads included (test/fixtures/marathon), so a plain `docker build .` of the
# repository alone runs it all.
COPY README.md Dockerfile ./
RUN npm test && npm prune --omit=dev

# Runtime stage: production dependencies and compiled JavaScript only, as an unprivileged user.
FROM node:22-bookworm-slim AS runtime
# MALLOC_ARENA_MAX=2: glibc gives each of libuv's worker threads a malloc arena of its own, and
# their fragments made the daemon's RSS wander by 1-3 MB over hours (scripts/bench-footprint.mjs).
# No MONKEY_PORT here: it would win over the PORT0 Marathon assigns and health-checks. The daemon
# listens on MONKEY_PORT, else PORT0, else 8000 (plain `docker run`).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    MONKEY_JOURNAL=/var/lib/marathon-monkey/journal.jsonl
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/config ./config
RUN mkdir -p /var/lib/marathon-monkey && chown node:node /var/lib/marathon-monkey
USER node
EXPOSE 8000
# Marathon's own health check calls /health on PORT0; this one serves plain `docker run`.
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:'+(process.env.MONKEY_PORT||process.env.PORT0||8000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "--expose-gc", "dist/cli.js"]
CMD ["run"]
